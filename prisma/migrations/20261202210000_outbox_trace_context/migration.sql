-- The W3C trace context of the HTTP request that decided an outcome, so the
-- outcome message the relay publishes continues the caller's trace.
ALTER TABLE "outcome_outbox" ADD COLUMN "traceparent" TEXT,
ADD COLUMN "tracestate" TEXT;
