-- The ledger keeps a fingerprint of each decided event's content, so the same
-- event_id sent with other content is told apart (EVENT_ID_CONFLICT), and the
-- revision of its current decision (EVENT_ORDER=created_at re-decides events).
ALTER TABLE "processed_events" ADD COLUMN "fingerprint" VARCHAR(64),
ADD COLUMN "revision" INTEGER NOT NULL DEFAULT 0;

-- Decisions recorded before this migration get their fingerprint from the
-- audit where it has the event: the same SHA-256 of type, contract number,
-- date and created_at (UTC, microseconds) that the service computes.
UPDATE "processed_events" p
SET "fingerprint" = encode(sha256(convert_to(concat_ws(E'\n', a."event_type", a."contract_number",
      to_char(a."event_date", 'YYYY-MM-DD'),
      to_char(a."event_created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')), 'UTF8')), 'hex')
FROM "event_audit" a
WHERE a."event_id" = p."event_id" AND a."event_type" IS NOT NULL AND a."event_date" IS NOT NULL
  AND a."event_created_at" IS NOT NULL AND a."contract_number" IS NOT NULL;

-- The newest event (created_at, then event_id) folded into a component's state
-- in EVENT_ORDER=created_at mode; null until that mode has folded it.
ALTER TABLE "component_states" ADD COLUMN "folded_created_at" TIMESTAMPTZ(6),
ADD COLUMN "folded_event_id" VARCHAR(128);

-- History is never lost: a contract row with audited events cannot be removed
-- (the API deletes a contract by marking it deleted; the audit keeps its rows).
ALTER TABLE "event_audit" DROP CONSTRAINT "event_audit_contract_id_fkey";
ALTER TABLE "event_audit" ADD CONSTRAINT "event_audit_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contracts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- CreateTable
-- Append-only: every change of an event's decision, with the event that caused it.
CREATE TABLE "event_revisions" (
    "id" BIGSERIAL NOT NULL,
    "event_id" VARCHAR(128) NOT NULL,
    "revision" INTEGER NOT NULL,
    "status" "outcome_status" NOT NULL,
    "code" VARCHAR(64) NOT NULL,
    "message" TEXT NOT NULL,
    "previous_status" "outcome_status" NOT NULL,
    "previous_code" VARCHAR(64) NOT NULL,
    "caused_by" VARCHAR(128) NOT NULL,
    "revised_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "event_revisions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "event_revisions_event_id_revision_key" ON "event_revisions"("event_id", "revision");

-- CreateIndex
-- A redelivered message re-announces the revisions it caused.
CREATE INDEX "event_revisions_caused_by_idx" ON "event_revisions"("caused_by");
