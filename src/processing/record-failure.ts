import { EVENT_CATALOGUE } from '../domain/catalogue.js';
import { formatInstant } from '../domain/timestamp.js';
import { PROCESSING_FAILED } from '../schemas/outcome.js';
import type { Clock } from './clock.js';
import { ledgerIdOf, type DecodedMessage } from './decoded-message.js';
import { DatabaseError, failureKind, UnexpectedFailure } from '../errors.js';
import { buildOutcome, type Outcome } from './outcome.js';
import type { DecisionEntry, DecisionStore, RecordedDecision } from './ports.js';

export type FailureRecorder = (decoded: DecodedMessage, cause: unknown, attempts: number) => Promise<Outcome>;

export interface FailureRecorderOptions {
  store: DecisionStore;
  clock: Clock;
  auditEnabled: boolean;
  /** Told when even the failure could not be written down; the outcome is published all the same. */
  onUnrecorded(decoded: DecodedMessage, error: unknown): void;
}

/**
 * Gives up on a message that keeps failing (permanently, or unexpectedly
 * after its retries): records an `error`
 * decision for it without touching any state, so its partition moves on. A
 * decoded event becomes PROCESSING_FAILED; a message that was already invalid
 * keeps its own error. When the audit itself is what fails, the decision is
 * kept in the idempotency ledger only, and when even that fails, the outcome
 * is still published: nothing is lost, and the logs say what was not written.
 */
export function createFailureRecorder({
  store,
  clock,
  auditEnabled,
  onUnrecorded,
}: FailureRecorderOptions): FailureRecorder {
  return async (decoded, cause, attempts) => {
    const decision = failureDecision(decoded, describeFailure(cause), attempts);
    const processedAt = formatInstant(clock());
    const entry = failureEntry(decoded, decision, processedAt);
    for (const audit of auditEnabled ? [true, false] : [false]) {
      try {
        await store.inTransaction(async (tx) => {
          // Linked to its contract, so the failure shows among the contract's audited events.
          const contract =
            entry.contractNumber === null
              ? undefined
              : (await tx.lockContracts([entry.contractNumber])).get(entry.contractNumber);
          await tx.recordDecisions([{ ...entry, contractId: contract?.id ?? null }], audit);
        });
        return buildOutcome(decoded, decision, false, processedAt);
      } catch (error) {
        // An outage is waited out; a failure that is not one (permanent, or a bug) is not retried here.
        if (failureKind(error) === 'retriable') throw error;
        onUnrecorded(decoded, error);
      }
    }
    return buildOutcome(decoded, decision, false, processedAt);
  };
}

/** A short, operator-readable cause, with the SQLSTATE when the database gave one. */
function describeFailure(cause: unknown): { sqlstate: string | null; reason: string } {
  if (cause instanceof DatabaseError) return { sqlstate: cause.sqlstate, reason: cause.message };
  // "unexpected TypeError: Cannot read properties of undefined (reading 'x')"
  if (cause instanceof UnexpectedFailure)
    return { sqlstate: null, reason: `${cause.message}: ${errorText(cause.cause)}` };
  return { sqlstate: null, reason: errorText(cause) };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

function failureDecision(
  decoded: DecodedMessage,
  failure: { sqlstate: string | null; reason: string },
  attempts: number,
): RecordedDecision {
  if (decoded.kind === 'invalid')
    return { status: 'error', code: decoded.code, message: decoded.error.message, error: decoded.error };
  const message = `The event could not be processed after ${attempts} attempts: ${failure.reason}`;
  return {
    status: 'error',
    code: PROCESSING_FAILED,
    message,
    error: { code: PROCESSING_FAILED, message, details: failure },
  };
}

function failureEntry(decoded: DecodedMessage, decision: RecordedDecision, processedAt: string): DecisionEntry {
  const event = decoded.kind === 'valid' ? decoded.event : null;
  return {
    eventId: ledgerIdOf(decoded),
    status: decision.status,
    code: decision.code,
    message: decision.message,
    error: decision.error ?? null,
    contractId: null,
    contractNumber: event?.contractNumber ?? null,
    eventType: event?.type ?? null,
    component: event ? EVENT_CATALOGUE[event.type].component : null,
    action: event ? EVENT_CATALOGUE[event.type].action : null,
    eventDate: event?.date ?? null,
    eventCreatedAt: event?.createdAt ?? null,
    source: decoded.source,
    processedAt,
    fingerprint: decoded.kind === 'valid' ? decoded.fingerprint : null,
    revision: 0,
  };
}
