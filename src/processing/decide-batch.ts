import { formatInstant } from '../domain/timestamp.js';
import { LostRace } from '../errors.js';
import { EVENT_ID_CONFLICT, sameInputMessage } from '../schemas/outcome.js';
import { decideInArrivalOrder } from './arrival-order.js';
import type { Clock } from './clock.js';
import { decideInCreatedAtOrder } from './created-at-order.js';
import { ledgerIdOf, type DecodedMessage } from './decoded-message.js';
import { buildOutcome, conflictOutcome, revisionOutcome, type Outcome } from './outcome.js';
import type { EventOrder } from './event-order.js';
import type { DecisionStore, LedgerDecision, TraceHeaders } from './ports.js';

export interface BatchDeciderOptions {
  store: DecisionStore;
  clock: Clock;
  auditEnabled: boolean;
  /** Default `arrival`; `created_at` needs the audit, from which it re-folds a component when an event arrives late. */
  eventOrder?: EventOrder;
  /** At most how many decided events a re-fold reads per statement; default 1,000. */
  historyPage?: number;
}

const HISTORY_PAGE = 1000;

/** Raised when another writer recorded one of our events first; the batch's next attempt reads its decision. */
export class ConcurrentDecisionError extends LostRace {
  constructor(expected: number, recorded: number) {
    super(`Expected to record ${expected} new decisions but recorded ${recorded}: another writer got there first.`);
    this.name = 'ConcurrentDecisionError';
  }
}

export interface DecideOptions {
  /** Write the outcomes to the outbox in the same transaction, for the outbox relay to publish (decisions made over HTTP). */
  outbox?: boolean;
  /** The caller's W3C trace context, kept with its outcomes in the outbox so their messages continue the trace. */
  trace?: TraceHeaders;
}

/**
 * Decides a batch: one outcome per message, in message order, followed by a
 * revision outcome for each earlier event whose decision the batch changed
 * (EVENT_ORDER=created_at only).
 */
export type BatchDecider = (messages: readonly DecodedMessage[], options?: DecideOptions) => Promise<Outcome[]>;

/**
 * The use case: decides a batch of messages inside one database transaction,
 * and returns one outcome per message. Idempotent by event id: an event
 * decided before (or earlier in the same batch) changes nothing and is
 * answered with the decision standing for it and when it was made:
 * `duplicate: true` when that decision was made for another input message
 * (the event was sent again), `duplicate: false` when it is the same message
 * delivered again. The same event id with other content is EVENT_ID_CONFLICT.
 */
export function createBatchDecider({
  store,
  clock,
  auditEnabled,
  eventOrder = 'arrival',
  historyPage = HISTORY_PAGE,
}: BatchDeciderOptions): BatchDecider {
  const decideNew = eventOrder === 'created_at' ? decideInCreatedAtOrder : decideInArrivalOrder;
  // One attempt: a lost race (ConcurrentDecisionError) is retried by the caller's retry policy, whose
  // next attempt reads the other writer's decisions and answers them as duplicates.
  return (messages, options = {}) =>
    store.inTransaction(async (tx) => {
      const contracts = await tx.lockContracts(uniqueContractNumbers(messages));
      // Read only once the locks are held, in a statement of its own (so a
      // snapshot of its own): a batch that raced us for these contracts has
      // committed by now, and its decisions are seen here, not applied twice.
      const earlier = await tx.findDecisions([...new Set(messages.map(ledgerIdOf))]);
      const processedAt = formatInstant(clock());
      const fresh = firstSightings(messages, earlier);
      const { entries, changes, revisions } = await decideNew([...fresh.values()], {
        contracts,
        tx,
        processedAt,
        historyPage,
      });
      const standing = new Map<string, LedgerDecision>([...earlier, ...entries]);
      for (const { revision } of revisions) {
        const before = standing.get(revision.eventId);
        if (before) standing.set(revision.eventId, { ...before, ...revision.decision, revision: revision.revision });
      }
      const redelivered: string[] = [];
      const outcomes = messages.map((decoded) => {
        const id = ledgerIdOf(decoded);
        const entry = entries.get(id);
        if (entry && fresh.get(id) === decoded) return buildOutcome(decoded, entry, false, processedAt);
        const known = standing.get(id)!;
        if (decoded.kind === 'valid' && known.fingerprint !== null && known.fingerprint !== decoded.fingerprint) {
          return conflictOutcome(decoded, known, processedAt);
        }
        const again = known.source !== null && sameInputMessage(known.source, decoded.source);
        if (again) redelivered.push(id);
        return buildOutcome(decoded, known, !again, known.processedAt, { revision: known.revision, revises: null });
      });
      // A message delivered again may be one whose outcomes never got out: the revisions it caused are announced again too.
      const announcedAgain =
        eventOrder === 'created_at' && redelivered.length > 0
          ? (await tx.revisionsCausedBy(redelivered)).map((r) =>
              revisionOutcome(r.event, r.event.decision, r.revises, r.revisedAt),
            )
          : [];
      await tx.saveStates(changes);
      const recorded = await tx.recordDecisions([...entries.values()], auditEnabled);
      if (recorded !== entries.size) throw new ConcurrentDecisionError(entries.size, recorded);
      if (revisions.length > 0)
        await tx.reviseDecisions(
          revisions.map((r) => r.revision),
          processedAt,
        );
      const all = [...outcomes, ...announcedAgain, ...revisions.map((r) => r.outcome)];
      // A conflict over HTTP is the caller's error (409), not a decision to publish.
      if (options.outbox)
        await tx.enqueueOutcomes(
          all.filter((outcome) => outcome.message.code !== EVENT_ID_CONFLICT),
          options.trace,
        );
      return all;
    });
}

/** The first message of each ledger id the ledger does not know yet, in message order. */
function firstSightings(
  messages: readonly DecodedMessage[],
  earlier: Map<string, LedgerDecision>,
): Map<string, DecodedMessage> {
  const fresh = new Map<string, DecodedMessage>();
  for (const message of messages) {
    const id = ledgerIdOf(message);
    if (!earlier.has(id) && !fresh.has(id)) fresh.set(id, message);
  }
  return fresh;
}

function uniqueContractNumbers(messages: readonly DecodedMessage[]): string[] {
  const numbers = new Set<string>();
  for (const message of messages) if (message.kind === 'valid') numbers.add(message.event.contractNumber);
  return [...numbers];
}
