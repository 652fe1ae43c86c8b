import type { Action, ComponentType, EventType } from '../domain/catalogue.js';
import type { CalendarDate } from '../domain/calendar-date.js';
import type { ComponentState } from '../domain/component-state.js';
import type { ContractView } from '../domain/decide.js';
import type { Micros } from '../domain/timestamp.js';
import type { ErrorResponse } from '../schemas/error-response.js';
import type { OutcomeCode, OutcomeSource, OutcomeStatus } from '../schemas/outcome.js';
import type { Outcome } from './outcome.js';

// What the use case needs from storage. src/store implements it; tests may
// too. Everything one batch needs is read and written in a handful of bulk
// statements inside one transaction.

export interface StoredContract extends ContractView {
  id: string;
}

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
}

export interface StateChange {
  contractId: string;
  component: ComponentType;
  state: ComponentState;
}

/** One decided event, as the idempotency ledger and the audit keep it. */
export interface DecisionEntry extends LedgerDecision {
  /** The ledger key: the event id, or for a message that is not a valid event its position's id. */
  eventId: string;
  source: OutcomeSource;
  contractId: string | null;
  contractNumber: string | null;
  eventType: EventType | null;
  component: ComponentType | null;
  action: Action | null;
  eventDate: CalendarDate | null;
  eventCreatedAt: Micros | null;
}

export interface DecisionTransaction {
  /** Reads and row-locks the named contracts with their component states. */
  lockContracts(contractNumbers: readonly string[]): Promise<Map<string, StoredContract>>;
  /** Decisions already recorded for any of these event ids. */
  findDecisions(eventIds: readonly string[]): Promise<Map<string, LedgerDecision>>;
  saveStates(changes: readonly StateChange[]): Promise<void>;
  /** Records the decisions (and audits them when asked); returns how many were new. */
  recordDecisions(entries: readonly DecisionEntry[], audit: boolean): Promise<number>;
  /** Keeps outcomes to publish once this transaction has committed (the outbox of decisions made over HTTP). */
  enqueueOutcomes(outcomes: readonly Outcome[]): Promise<void>;
}

export interface DecisionStore {
  /** Runs `work` in one transaction; a database failure comes out as a classified DatabaseError. */
  inTransaction<T>(work: (tx: DecisionTransaction) => Promise<T>): Promise<T>;
}
