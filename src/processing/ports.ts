import type { Action, ComponentType, EventType } from '../domain/catalogue.js';
import type { CalendarDate } from '../domain/calendar-date.js';
import type { ComponentState } from '../domain/component-state.js';
import type { ContractView } from '../domain/decide.js';
import type { Micros } from '../domain/timestamp.js';
import type { ErrorResponse } from '../schemas/error-response.js';
import type { OutcomeCode, OutcomeStatus, SourcePosition } from '../schemas/outcome.js';

// What the use case needs from storage. src/store implements it; tests may
// too. Everything one batch needs is read and written in a handful of bulk
// statements inside one transaction.

export interface StoredContract extends ContractView {
  id: string;
}

/** The first decision recorded for an event id. */
export interface RecordedDecision {
  status: OutcomeStatus;
  code: OutcomeCode;
  message: string;
  /** Details of an `error` decision made in this run (the ledger keeps code and message only). */
  error?: ErrorResponse | null;
}

export interface StateChange {
  contractId: string;
  component: ComponentType;
  state: ComponentState;
}

/** One decided event, as the idempotency ledger and the audit keep it. */
export interface DecisionEntry extends RecordedDecision {
  eventId: string;
  contractId: string | null;
  contractNumber: string | null;
  eventType: EventType | null;
  component: ComponentType | null;
  action: Action | null;
  eventDate: CalendarDate | null;
  eventCreatedAt: Micros | null;
  error: ErrorResponse | null;
  source: SourcePosition | null;
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ` */
  processedAt: string;
}

export interface DecisionTransaction {
  /** Reads and row-locks the named contracts with their component states. */
  lockContracts(contractNumbers: readonly string[]): Promise<Map<string, StoredContract>>;
  /** Decisions already recorded for any of these event ids. */
  findDecisions(eventIds: readonly string[]): Promise<Map<string, RecordedDecision>>;
  saveStates(changes: readonly StateChange[]): Promise<void>;
  /** Records the decisions (and audits them when asked); returns how many were new. */
  recordDecisions(entries: readonly DecisionEntry[], audit: boolean): Promise<number>;
}

export interface DecisionStore {
  inTransaction<T>(work: (tx: DecisionTransaction) => Promise<T>): Promise<T>;
  /** True for failures that will repeat on every attempt (bad data, violated constraints), false for outages. */
  isPermanentFailure(error: unknown): boolean;
  /** A short, operator-readable cause of a failure. */
  describeFailure(error: unknown): { sqlstate: string | null; reason: string };
}
