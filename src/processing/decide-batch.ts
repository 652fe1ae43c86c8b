import { decide, type Decision } from '../domain/decide.js';
import { formatInstant } from '../domain/timestamp.js';
import { ServiceError } from '../errors.js';
import { sameInputMessage } from '../schemas/outcome.js';
import { ledgerIdOf, type DecodedMessage, type InvalidMessage, type ValidMessage } from './decoded-message.js';
import type { Clock } from './clock.js';
import { buildOutcome, type Outcome } from './outcome.js';
import type { DecisionEntry, DecisionStore, LedgerDecision, StateChange, StoredContract } from './ports.js';

export interface BatchDeciderOptions {
  store: DecisionStore;
  clock: Clock;
  auditEnabled: boolean;
}

/** Raised when another writer recorded one of our events first; the batch is retried and then sees it. */
export class ConcurrentDecisionError extends ServiceError {
  readonly retriable = true;

  constructor(expected: number, recorded: number) {
    super(`Expected to record ${expected} new decisions but recorded ${recorded}: another writer got there first.`);
    this.name = 'ConcurrentDecisionError';
  }
}

export interface DecideOptions {
  /** Write the outcomes to the outbox in the same transaction, for the outbox relay to publish (decisions made over HTTP). */
  outbox?: boolean;
}

export type BatchDecider = (messages: readonly DecodedMessage[], options?: DecideOptions) => Promise<Outcome[]>;

/**
 * The use case: decides a batch of messages, in order, inside one database
 * transaction, and returns one outcome per message. Idempotent by event id:
 * an event decided before (or earlier in the same batch) changes nothing and
 * is answered with its first decision and when it was made: `duplicate: true`
 * when that decision was made for another input message (the event was sent
 * again), `duplicate: false` when it is the same message delivered again.
 */
export function createBatchDecider({ store, clock, auditEnabled }: BatchDeciderOptions): BatchDecider {
  const decideOnce: BatchDecider = (messages, options = {}) =>
    store.inTransaction(async (tx) => {
      const contracts = await tx.lockContracts(uniqueContractNumbers(messages));
      // Read only once the locks are held, in a statement of its own (so a
      // snapshot of its own): a batch that raced us for these contracts has
      // committed by now, and its decisions are seen here, not applied twice.
      const earlier = await tx.findDecisions([...new Set(messages.map(ledgerIdOf))]);
      const processedAt = formatInstant(clock());
      const changes = new Map<string, StateChange>();
      const entries: DecisionEntry[] = [];
      const outcomes = messages.map((decoded) => {
        const known: LedgerDecision | undefined = earlier.get(ledgerIdOf(decoded));
        if (known) {
          const redelivered = known.source !== null && sameInputMessage(known.source, decoded.source);
          return buildOutcome(decoded, known, !redelivered, known.processedAt);
        }
        const entry = decideOne(decoded, contracts, changes, processedAt);
        earlier.set(entry.eventId, entry);
        entries.push(entry);
        return buildOutcome(decoded, entry, false, processedAt);
      });
      await tx.saveStates([...changes.values()]);
      const recorded = await tx.recordDecisions(entries, auditEnabled);
      if (recorded !== entries.length) throw new ConcurrentDecisionError(entries.length, recorded);
      if (options.outbox) await tx.enqueueOutcomes(outcomes);
      return outcomes;
    });
  // A second run reads the other writer's decisions and answers them as duplicates.
  return (messages, options) =>
    decideOnce(messages, options).catch((error: unknown) => {
      if (error instanceof ConcurrentDecisionError) return decideOnce(messages, options);
      throw error;
    });
}

/** Decides one new message against the batch's working copy of the contracts. */
function decideOne(
  decoded: DecodedMessage,
  contracts: Map<string, StoredContract>,
  changes: Map<string, StateChange>,
  processedAt: string,
): DecisionEntry {
  if (decoded.kind === 'invalid') return invalidEntry(decoded, processedAt);
  const contract = contracts.get(decoded.event.contractNumber);
  const decision = decide(contract, decoded.event);
  if (contract && decision.nextState) {
    contract.states = { ...contract.states, [decision.component]: decision.nextState };
    changes.set(`${contract.id}/${decision.component}`, { contractId: contract.id, component: decision.component, state: decision.nextState });
  }
  return decisionEntry(decoded, decision, contract?.id ?? null, processedAt);
}

/** The ledger and audit record of a message that is not a valid event. */
export function invalidEntry(decoded: InvalidMessage, processedAt: string): DecisionEntry {
  const { code, error, source } = decoded;
  return { status: 'error', code, message: error.message, ...emptyEventColumns(), eventId: decoded.ledgerId, error, source, processedAt };
}

/** The ledger and audit record of a decided event. */
export function decisionEntry(decoded: ValidMessage, decision: Decision, contractId: string | null, processedAt: string): DecisionEntry {
  const { event } = decoded;
  return {
    eventId: decoded.eventId,
    status: decision.status,
    code: decision.code,
    message: decision.message,
    contractId,
    contractNumber: event.contractNumber,
    eventType: event.type,
    component: decision.component,
    action: decision.action,
    eventDate: event.date,
    eventCreatedAt: event.createdAt,
    error: null,
    source: decoded.source,
    processedAt,
  };
}

function emptyEventColumns() {
  return { contractId: null, contractNumber: null, eventType: null, component: null, action: null, eventDate: null, eventCreatedAt: null };
}

function uniqueContractNumbers(messages: readonly DecodedMessage[]): string[] {
  const numbers = new Set<string>();
  for (const message of messages) if (message.kind === 'valid') numbers.add(message.event.contractNumber);
  return [...numbers];
}
