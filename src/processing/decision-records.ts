import type { DomainEvent } from '../domain/decide.js';
import type { ErrorResponse } from '../schemas/error-response.js';
import type { OutcomeCode, OutcomeSource, OutcomeStatus } from '../schemas/outcome.js';

// Decisions as they are recorded: what outcomes are built from (outcome.ts)
// and what storage keeps (ports.ts).

/** A decision: what an outcome says about its event. */
export interface RecordedDecision {
  status: OutcomeStatus;
  code: OutcomeCode;
  message: string;
  /** The ErrorResponse of an `error` decision. */
  error?: ErrorResponse | null;
}

/**
 * The first decision recorded for an event id, with the input message it was
 * made for and when, so a redelivery of that message is answered exactly as
 * the first time and a re-sent copy is told apart as a duplicate.
 */
export interface LedgerDecision extends RecordedDecision {
  error: ErrorResponse | null;
  /** Null for decisions recorded before the ledger kept their source. */
  source: OutcomeSource | null;
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ` */
  processedAt: string;
  /** The content fingerprint of a valid event (null for other messages and for decisions recorded before it was kept). */
  fingerprint: string | null;
  /** 0 for the first decision; counts up each time EVENT_ORDER=created_at re-decides the event. */
  revision: number;
}

/** An event decided earlier for a component, with its current decision: what a re-fold starts from. */
export interface PastEvent {
  eventId: string;
  event: DomainEvent;
  decision: LedgerDecision;
  /** The input message it was decided for. */
  source: OutcomeSource;
}
