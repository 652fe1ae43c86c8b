import type { LedgerDecision } from '../processing/ports.js';
import type { ErrorResponse } from '../schemas/error-response.js';
import type { OutcomeCode, OutcomeSource, OutcomeStatus } from '../schemas/outcome.js';

/** A processed_events row as the ledger queries select it (processed_at as text, microseconds kept). */
export interface LedgerRow {
  event_id: string;
  status: OutcomeStatus;
  code: OutcomeCode;
  message: string;
  error: ErrorResponse | null;
  source: OutcomeSource | null;
  processed_at: string;
  fingerprint: string | null;
  revision: number;
}

export function ledgerDecision(row: LedgerRow): LedgerDecision {
  const { status, code, message, error, source, fingerprint, revision } = row;
  return { status, code, message, error, source, processedAt: row.processed_at, fingerprint, revision };
}
