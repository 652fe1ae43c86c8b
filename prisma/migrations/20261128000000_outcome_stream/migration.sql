-- The idempotency ledger keeps what a redelivery needs to be answered exactly
-- as the first time: the decision's ErrorResponse and the input message it was
-- made for (null on rows recorded before this migration).
ALTER TABLE "processed_events" ADD COLUMN "error" JSONB,
ADD COLUMN "source" JSONB;

-- CreateTable
-- Outcomes of events decided over HTTP, written in the deciding transaction and
-- removed once they are on the outcome topic (a transactional outbox).
CREATE TABLE "outcome_outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" VARCHAR(128) NOT NULL,
    "message_key" TEXT,
    "message" TEXT NOT NULL,
    "sealed" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outcome_outbox_pkey" PRIMARY KEY ("id")
);
