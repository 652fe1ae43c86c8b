import type { Action, ComponentType, EventType } from '../domain/catalogue.js';
import type { CalendarDate } from '../domain/calendar-date.js';
import type { ComponentState } from '../domain/component-state.js';
import type { ContractView } from '../domain/decide.js';
import type { EventKey } from '../domain/event-order.js';
import type { Micros } from '../domain/timestamp.js';
import type { OutcomeSource, RevisedDecision } from '../schemas/outcome.js';
import type { LedgerDecision, PastEvent, RecordedDecision } from './decision-records.js';
import type { Outcome } from './outcome.js';

// What the use case needs from storage. src/store implements it; tests may
// too. Everything one batch needs is read and written in a handful of bulk
// statements inside one transaction.

// Decisions as recorded live in decision-records.ts, below outcome.ts (which
// builds outcomes from them); storage keeps them, so this port names them too.
export type { LedgerDecision, PastEvent, RecordedDecision };

export interface StoredContract extends ContractView {
  id: string;
  /** EVENT_ORDER=created_at: the newest event folded into each component's state; absent until that mode folds it. */
  folded: Partial<Record<ComponentType, EventKey>>;
}

export interface StateChange {
  contractId: string;
  component: ComponentType;
  state: ComponentState;
  /** The newest event folded into `state` (EVENT_ORDER=created_at); null when decided in arrival order. */
  folded: EventKey | null;
}

/** A component of a contract, as its history is asked for. */
export interface ComponentRef {
  contractId: string;
  component: ComponentType;
}

/** A component's place in created_at order: where a re-fold starts reading, or the state it asks for is taken. */
export interface HistoryPosition {
  ref: ComponentRef;
  /** Null: from the component's first event. */
  key: EventKey | null;
}

/** The key of a component in componentHistory's answer. */
export const componentKey = (ref: ComponentRef): string => `${ref.contractId}/${ref.component}`;

/** A revision recorded earlier that is still its event's current decision. */
export interface StandingRevision {
  event: PastEvent;
  revises: RevisedDecision;
  /** When the revision was made: `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
  revisedAt: string;
}

/** A changed decision of an event decided earlier. */
export interface Revision {
  eventId: string;
  decision: RecordedDecision;
  /** The new revision number (the previous one plus one). */
  revision: number;
  previous: RecordedDecision;
  /** The late event whose arrival re-decided it. */
  causedBy: string;
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
  /**
   * Each component's valid events decided so far that come after its position
   * (all of them for a null one), with their current decisions, in created_at
   * order (ties by event_id): at most `limit` per component.
   */
  componentHistory(positions: readonly HistoryPosition[], limit: number): Promise<Map<string, PastEvent[]>>;
  /**
   * The state each component's fold had just before its position: its last
   * accepted start and last accepted end before it, by their current
   * decisions (EVENT_ORDER=created_at keeps those equal to the fold's).
   */
  statesBefore(positions: readonly (HistoryPosition & { key: EventKey })[]): Promise<Map<string, ComponentState>>;
  /** The revisions these events caused that still stand, oldest first: a redelivered message announces them again. */
  revisionsCausedBy(eventIds: readonly string[]): Promise<StandingRevision[]>;
  /** Makes these the events' current decisions and keeps each change in the revision log. */
  reviseDecisions(revisions: readonly Revision[], revisedAt: string): Promise<void>;
  /** Records the decisions (and audits them when asked); returns how many were new. */
  recordDecisions(entries: readonly DecisionEntry[], audit: boolean): Promise<number>;
  /** Keeps outcomes to publish once this transaction has committed (the outbox of decisions made over HTTP), with the trace they continue. */
  enqueueOutcomes(outcomes: readonly Outcome[], trace?: TraceHeaders): Promise<void>;
}

/** A valid W3C `traceparent`, and the `tracestate` that goes with it, as carried from an input to its outcomes. */
export interface TraceHeaders {
  traceparent: string;
  tracestate?: string;
}

export interface DecisionStore {
  /** Runs `work` in one transaction; a database failure comes out as a classified DatabaseError, a bug of `work`'s own code as it is. */
  inTransaction<T>(work: (tx: DecisionTransaction) => Promise<T>): Promise<T>;
}
