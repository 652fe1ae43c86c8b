-- A random id per outbox row, which the relay commits to Kafka with its
-- position: outbox ids go backwards after a database restore or a RESTART
-- IDENTITY, so rows below the position are taken for published only when the
-- row the position names is still there with this uid.
ALTER TABLE "outcome_outbox" ADD COLUMN "uid" UUID NOT NULL DEFAULT gen_random_uuid();
