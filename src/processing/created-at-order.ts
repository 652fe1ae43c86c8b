import { EVENT_CATALOGUE } from '../domain/catalogue.js';
import { EMPTY_COMPONENT_STATE } from '../domain/component-state.js';
import { decide, type Decision } from '../domain/decide.js';
import { compareEventKeys, type EventKey } from '../domain/event-order.js';
import { foldInOrder, type KeyedEvent } from '../domain/fold.js';
import type { NewMessageDecider, NewDecisions } from './event-order.js';
import { decisionEntry, invalidEntry } from './decision-entry.js';
import type { ValidMessage } from './decoded-message.js';
import { revisionOutcome } from './outcome.js';
import { componentKey, type ComponentRef, type DecisionEntry, type PastEvent, type StateChange, type StoredContract } from './ports.js';

/** One component's new events in a batch. */
interface ComponentBatch {
  ref: ComponentRef;
  contract: StoredContract;
  events: ValidMessage[];
}

type FoldItem = { fresh: ValidMessage } | { past: PastEvent };

const keyOf = (eventId: string, message: { event: { createdAt: bigint } }): EventKey => ({ createdAt: message.event.createdAt, eventId });

/**
 * EVENT_ORDER=created_at: a component's state is the fold of all its events
 * in created_at order (ties by event_id). New events that all come after the
 * newest one folded so far continue the fold from the stored state; otherwise
 * the component's whole history is re-folded, here, in the batch's
 * transaction and under its locks, and every earlier event whose decision
 * changes is revised.
 */
export const decideInCreatedAtOrder: NewMessageDecider = async (fresh, { contracts, tx, processedAt }) => {
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
      entries.set(decoded.eventId, decisionEntry(decoded, decide(contract, decoded.event), contract?.id ?? null, processedAt));
      continue;
    }
    const ref = { contractId: contract.id, component };
    const batch = batches.get(componentKey(ref)) ?? { ref, contract, events: [] };
    batch.events.push(decoded);
    batches.set(componentKey(ref), batch);
  }
  const refolds = [...batches.values()].filter((batch) => !continuesFold(batch));
  const histories = refolds.length > 0 ? await tx.componentHistory(refolds.map((batch) => batch.ref)) : new Map<string, PastEvent[]>();
  const changes: StateChange[] = [];
  const revisions: NewDecisions['revisions'] = [];
  for (const batch of batches.values()) {
    const { ref, contract } = batch;
    const past = refolds.includes(batch) ? (histories.get(componentKey(ref)) ?? []) : undefined;
    const events: KeyedEvent<FoldItem>[] = [
      ...(past ?? []).map((event) => ({ key: keyOf(event.eventId, event), event: event.event, item: { past: event } })),
      ...batch.events.map((message) => ({ key: keyOf(message.eventId, message), event: message.event, item: { fresh: message } })),
    ];
    const from = past ? EMPTY_COMPONENT_STATE : (contract.states[ref.component] ?? EMPTY_COMPONENT_STATE);
    const { state, decided } = foldInOrder(contract, ref.component, from, events);
    // The earliest new event in created_at order is the late arrival that re-decides what follows it.
    const causedBy = decided.find(({ item }) => 'fresh' in item)!.key.eventId;
    for (const { item, decision } of decided) {
      if ('fresh' in item) entries.set(item.fresh.eventId, decisionEntry(item.fresh, decision, contract.id, processedAt));
      else if (decision.code !== item.past.decision.code) revisions.push(revise(item.past, decision, causedBy, processedAt));
    }
    const folded = decided.at(-1)!.key;
    contract.states = { ...contract.states, [ref.component]: state };
    contract.folded = { ...contract.folded, [ref.component]: folded };
    changes.push({ ...ref, state, folded });
  }
  return { entries, changes, revisions };
};

/** True when every new event of the component comes after the newest one already folded into its state. */
function continuesFold({ ref, contract, events }: ComponentBatch): boolean {
  const folded = contract.folded[ref.component];
  return folded !== undefined && events.every((message) => compareEventKeys(keyOf(message.eventId, message), folded) > 0);
}

/** An earlier event's new decision, and the revision outcome that announces it. */
function revise(past: PastEvent, decision: Decision, causedBy: string, processedAt: string): NewDecisions['revisions'][number] {
  const { status, code, message } = decision;
  const previous = past.decision;
  const revision = { eventId: past.eventId, decision: { status, code, message }, revision: previous.revision + 1, previous, causedBy };
  const revises = { revision: previous.revision, status: previous.status, code: previous.code, caused_by: causedBy };
  return { revision, outcome: revisionOutcome(past, revision.decision, revises, processedAt) };
}
