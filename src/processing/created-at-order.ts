import { EVENT_CATALOGUE } from '../domain/catalogue.js';
import { EMPTY_COMPONENT_STATE, type ComponentState } from '../domain/component-state.js';
import { decide, type Decision } from '../domain/decide.js';
import { compareEventKeys, type EventKey } from '../domain/event-order.js';
import { foldInOrder } from '../domain/fold.js';
import type { NewMessageDecider, NewDecisions } from './event-order.js';
import { decisionEntry, invalidEntry } from './decision-entry.js';
import type { ValidMessage } from './decoded-message.js';
import { revisionOutcome } from './outcome.js';
import {
  componentKey,
  type ComponentRef,
  type DecisionEntry,
  type DecisionTransaction,
  type HistoryPosition,
  type PastEvent,
  type StateChange,
  type StoredContract,
} from './ports.js';
import { keyOf, refold, type RefoldInput, type RefoldResult } from './refold.js';

/** One component's new events in a batch. */
interface ComponentBatch {
  ref: ComponentRef;
  contract: StoredContract;
  events: ValidMessage[];
}

/**
 * EVENT_ORDER=created_at: a component's state is the fold of all its events
 * in created_at order (ties by event_id). New events that all come after the
 * newest one folded so far continue the fold from the stored state. Otherwise
 * the fold is taken up again just before the earliest new event, from the
 * state it had there (recovered from the accepted decisions before it), and
 * only the events after it are re-decided, a page at a time (`historyPage`
 * events per statement), here, in the batch's transaction and under its
 * locks; every earlier event whose decision changes is revised. A state that
 * is no fold yet (arrival mode, a repair) is re-folded from its first event.
 */
export const decideInCreatedAtOrder: NewMessageDecider = async (fresh, { contracts, tx, processedAt, historyPage }) => {
  const entries = new Map<string, DecisionEntry>();
  const batches = new Map<string, ComponentBatch>();
  for (const decoded of fresh) {
    if (decoded.kind === 'invalid') {
      entries.set(decoded.ledgerId, invalidEntry(decoded, processedAt));
      continue;
    }
    const contract = contracts.get(decoded.event.contractNumber);
    const { component } = EVENT_CATALOGUE[decoded.event.type];
    if (!contract || !contract.components.includes(component)) {
      // Rules 1 and 2 do not depend on order, and such an event never enters a fold.
      entries.set(
        decoded.eventId,
        decisionEntry(decoded, decide(contract, decoded.event), contract?.id ?? null, processedAt),
      );
      continue;
    }
    const ref = { contractId: contract.id, component };
    const batch = batches.get(componentKey(ref)) ?? { ref, contract, events: [] };
    batch.events.push(decoded);
    batches.set(componentKey(ref), batch);
  }
  for (const batch of batches.values())
    batch.events.sort((a, b) => compareEventKeys(keyOf(a.eventId, a), keyOf(b.eventId, b)));
  const late = [...batches.values()].filter((batch) => !continuesFold(batch));
  const starts = await refoldStarts(late, tx, historyPage);
  const changes: StateChange[] = [];
  const revisions: NewDecisions['revisions'] = [];
  for (const batch of batches.values()) {
    const { ref, contract } = batch;
    const start = starts.get(componentKey(ref));
    const {
      fresh: decided,
      revised,
      state,
      folded,
    } = start
      ? await refold({
          ...start,
          contract,
          component: ref.component,
          fresh: batch.events,
          pageSize: historyPage,
          readAfter: pageReader(tx, ref),
        })
      : continueFold(batch);
    for (const { message, decision } of decided)
      entries.set(message.eventId, decisionEntry(message, decision, contract.id, processedAt));
    // The earliest new event in created_at order is the late arrival that re-decides what follows it.
    const causedBy = batch.events[0]!.eventId;
    for (const { past, decision } of revised) revisions.push(revise(past, decision, causedBy, processedAt));
    contract.states = { ...contract.states, [ref.component]: state };
    contract.folded = { ...contract.folded, [ref.component]: folded };
    changes.push({ ...ref, state, folded });
  }
  return { entries, changes, revisions };
};

type RefoldStart = Pick<RefoldInput, 'from' | 'page' | 'pageLimit' | 'stored'>;

/** A first page is at most this share of a page: most late events agree with the recorded fold again within a few events. */
const FIRST_PAGES = 32;

/**
 * Where each late component's re-fold starts: the state just before its
 * earliest new event and the first page after it (from the beginning for a
 * state that is no fold). Two statements for the whole batch; all first pages
 * together hold at most one page, so many late components at once still fit.
 */
async function refoldStarts(
  late: readonly ComponentBatch[],
  tx: DecisionTransaction,
  historyPage: number,
): Promise<Map<string, RefoldStart>> {
  const starts = new Map<string, RefoldStart>();
  if (late.length === 0) return starts;
  const positions = late.map(({ ref, contract, events }) => ({
    ref,
    key: contract.folded[ref.component] === undefined ? null : keyOf(events[0]!.eventId, events[0]!),
  }));
  const resumed = positions.filter((p): p is HistoryPosition & { key: EventKey } => p.key !== null);
  const before = resumed.length > 0 ? await tx.statesBefore(resumed) : new Map<string, ComponentState>();
  const pageLimit = Math.max(1, Math.floor(historyPage / Math.max(late.length, FIRST_PAGES)));
  const pages = await tx.componentHistory(positions, pageLimit);
  for (const { ref, contract } of late) {
    const key = componentKey(ref);
    const folded = contract.folded[ref.component];
    const stored =
      folded === undefined ? undefined : { state: contract.states[ref.component] ?? EMPTY_COMPONENT_STATE, folded };
    starts.set(key, { from: before.get(key) ?? EMPTY_COMPONENT_STATE, page: pages.get(key) ?? [], pageLimit, stored });
  }
  return starts;
}

function pageReader(tx: DecisionTransaction, ref: ComponentRef): RefoldInput['readAfter'] {
  return async (key, limit) => (await tx.componentHistory([{ ref, key }], limit)).get(componentKey(ref)) ?? [];
}

/** New events that all come after the newest one folded: decided on from the stored state, nothing read. */
function continueFold({ ref, contract, events }: ComponentBatch): RefoldResult {
  const keyed = events.map((message) => ({
    key: keyOf(message.eventId, message),
    event: message.event,
    item: message,
  }));
  const { state, decided } = foldInOrder(
    contract,
    ref.component,
    contract.states[ref.component] ?? EMPTY_COMPONENT_STATE,
    keyed,
  );
  return {
    fresh: decided.map(({ item, decision }) => ({ message: item, decision })),
    revised: [],
    state,
    folded: decided.at(-1)!.key,
  };
}

/** True when every new event of the component comes after the newest one already folded into its state. */
function continuesFold({ ref, contract, events }: ComponentBatch): boolean {
  const folded = contract.folded[ref.component];
  return (
    folded !== undefined && events.every((message) => compareEventKeys(keyOf(message.eventId, message), folded) > 0)
  );
}

/** An earlier event's new decision, and the revision outcome that announces it. */
function revise(
  past: PastEvent,
  decision: Decision,
  causedBy: string,
  processedAt: string,
): NewDecisions['revisions'][number] {
  const { status, code, message } = decision;
  const previous = past.decision;
  const revision = {
    eventId: past.eventId,
    decision: { status, code, message },
    revision: previous.revision + 1,
    previous,
    causedBy,
  };
  const revises = { revision: previous.revision, status: previous.status, code: previous.code, caused_by: causedBy };
  return { revision, outcome: revisionOutcome(past, revision.decision, revises, processedAt) };
}
