-- EVENT_ORDER=created_at: the ledger keeps each decided event's place in its
-- component's fold beside its current decision, so a late event finds the
-- state the fold had just before it (the last accepted start and end before
-- its created_at) in one index descent each, instead of re-folding the whole
-- history.
ALTER TABLE "processed_events" ADD COLUMN "contract_id" BIGINT,
ADD COLUMN "component_type" "component_type",
ADD COLUMN "action" VARCHAR(8),
ADD COLUMN "event_created_at" TIMESTAMPTZ(6);

-- Decisions recorded before this migration take their place from the audit.
UPDATE "processed_events" p
SET "contract_id" = a."contract_id", "component_type" = a."component_type", "action" = a."action",
    "event_created_at" = a."event_created_at"
FROM "event_audit" a
WHERE a."event_id" = p."event_id" AND a."contract_id" IS NOT NULL AND a."component_type" IS NOT NULL
  AND a."action" IS NOT NULL AND a."event_created_at" IS NOT NULL;

-- Not modelled by Prisma (a partial index, and event ids compared by byte, as
-- the service orders ties): the accepted decisions only, by component, action
-- and created_at order. Revising a decision moves its row in or out.
CREATE INDEX "processed_events_accepted_idx" ON "processed_events"
  ("contract_id", "component_type", "action", "event_created_at", "event_id" COLLATE "C") WHERE "status" = 'accepted';
