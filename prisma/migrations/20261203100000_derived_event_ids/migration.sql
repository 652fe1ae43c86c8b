-- The ids the service derives take the form `derived:<64 hex digits>`, which no
-- producer's event_id may take any more (issue 19). They used to be the bare
-- hex digest, so a producer could send, as its own event_id, the id a later
-- event without one would derive, and that event was answered
-- EVENT_ID_CONFLICT. Here every id the service derived before is rewritten to
-- the new form, in every table that holds event ids, so a re-sent event without
-- event_id is still recognised.
--
-- A derived id is told apart by deriving it again from what the ledger kept:
-- - an event sent without event_id: its id equals its content fingerprint;
-- - a message that was not a valid event (no fingerprint, status error): its id
--   equals the SHA-256 of `invalid`, topic, partition and offset of its Kafka
--   position (from the ledger's source, or from the audit on rows recorded
--   before the ledger kept sources).
-- A producer's id equal to what the service derives for that same message
-- cannot be told from a derived one, and is rewritten like it. Rows kept with
-- neither fingerprint nor position (recorded before fingerprints, audit off)
-- cannot be told apart at all, and keep their ids.
--
-- A producer's id already in the new form would take a derived id; it moves
-- out of the way to `derived:producer:<hex>` (a form neither producers nor the
-- service send), first, so the rewrite never meets it.
-- A table of the schema, not a temporary one (the migrating role may lack
-- TEMPORARY on the database); the migration's transaction creates and drops it.
CREATE TABLE "event_id_changes" (
    "old_id" VARCHAR(128) PRIMARY KEY,
    "new_id" VARCHAR(128) NOT NULL UNIQUE,
    -- 'producer': a producer's id in the new form, moved out of the way; 'derived': a derived id.
    "kind" TEXT NOT NULL
);

INSERT INTO "event_id_changes" ("old_id", "new_id", "kind")
SELECT "event_id", 'derived:producer:' || substr("event_id", 9), 'producer'
FROM "processed_events"
WHERE "event_id" ~ '^derived:[0-9a-f]{64}$';

INSERT INTO "event_id_changes" ("old_id", "new_id", "kind")
SELECT p."event_id", 'derived:' || p."event_id", 'derived'
FROM "processed_events" p
LEFT JOIN "event_audit" a ON a."event_id" = p."event_id"
CROSS JOIN LATERAL (
    SELECT COALESCE(p."source"->>'topic', a."kafka_topic") AS "topic",
           COALESCE(p."source"->>'partition', a."kafka_partition"::text) AS "partition",
           COALESCE(p."source"->>'offset', a."kafka_offset"::text) AS "offset"
) kafka
WHERE p."event_id" = p."fingerprint"
   OR (p."fingerprint" IS NULL AND p."status" = 'error' AND kafka."offset" IS NOT NULL
       AND kafka."topic" IS NOT NULL AND kafka."partition" IS NOT NULL
       AND p."event_id" = encode(sha256(convert_to(
             concat_ws(E'\n', 'invalid', kafka."topic", kafka."partition", kafka."offset"), 'UTF8')), 'hex'));

-- Kind by kind: a unique index is checked row by row, so the producers' ids in
-- the new form must be gone before derived ids take it.
DO $$
DECLARE
  current_kind TEXT;
BEGIN
  FOREACH current_kind IN ARRAY ARRAY['producer', 'derived'] LOOP
    UPDATE "processed_events" t SET "event_id" = c."new_id" FROM "event_id_changes" c
    WHERE t."event_id" = c."old_id" AND c."kind" = current_kind;
    UPDATE "event_audit" t SET "event_id" = c."new_id" FROM "event_id_changes" c
    WHERE t."event_id" = c."old_id" AND c."kind" = current_kind;
    UPDATE "event_revisions" t SET "event_id" = c."new_id" FROM "event_id_changes" c
    WHERE t."event_id" = c."old_id" AND c."kind" = current_kind;
    UPDATE "event_revisions" t SET "caused_by" = c."new_id" FROM "event_id_changes" c
    WHERE t."caused_by" = c."old_id" AND c."kind" = current_kind;
    UPDATE "component_states" t SET "folded_event_id" = c."new_id" FROM "event_id_changes" c
    WHERE t."folded_event_id" = c."old_id" AND c."kind" = current_kind;
  END LOOP;
END $$;

-- An outcome not yet published carries a derived id as the relay will send it
-- (written by JSON.stringify: no spaces, and these ids need no escapes). Not a
-- producer's id, which is what the producer sent, nor an EVENT_ID_CONFLICT
-- under a derived id, which answered a producer's own id.
UPDATE "outcome_outbox" t
SET "event_id" = c."new_id",
    "message" = replace(t."message", '"event_id":"' || c."old_id" || '"', '"event_id":"' || c."new_id" || '"')
FROM "event_id_changes" c
WHERE t."event_id" = c."old_id" AND c."kind" = 'derived' AND t."message"::jsonb->>'code' <> 'EVENT_ID_CONFLICT';
UPDATE "outcome_outbox" t
SET "message" = replace(t."message", '"caused_by":"' || c."old_id" || '"', '"caused_by":"' || c."new_id" || '"')
FROM "event_id_changes" c
WHERE t."message"::jsonb #>> '{revises,caused_by}' = c."old_id" AND c."kind" = 'derived';

DROP TABLE "event_id_changes";
