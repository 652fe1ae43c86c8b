import type { ComponentType } from './catalogue.js';
import type { ComponentState } from './component-state.js';
import { decide, type ContractView, type Decision, type DomainEvent } from './decide.js';
import { compareEventKeys, type EventKey } from './event-order.js';

/** An event of one component with its place in created_at order. */
export interface KeyedEvent<T = unknown> {
  key: EventKey;
  event: DomainEvent;
  /** Whatever the caller needs back with the event's decision. */
  item: T;
}

export interface FoldResult<T> {
  /** The component's state once every event is folded in. */
  state: ComponentState;
  /** Each event with its decision, in created_at order. */
  decided: { item: T; key: EventKey; decision: Decision }[];
}

/**
 * Decides one component's events in created_at order (ties by event_id), each
 * against the state the ones before it left, starting from `from`: the state
 * EVENT_ORDER=created_at keeps is exactly this fold, whatever the arrival order.
 */
export function foldInOrder<T>(
  contract: ContractView,
  component: ComponentType,
  from: ComponentState,
  events: readonly KeyedEvent<T>[],
): FoldResult<T> {
  return foldAsGiven(
    contract,
    component,
    from,
    [...events].sort((a, b) => compareEventKeys(a.key, b.key)),
  );
}

/** Decides one component's events in the order given (EVENT_ORDER=arrival replays its audit this way). */
export function foldAsGiven<T>(
  contract: ContractView,
  component: ComponentType,
  from: ComponentState,
  events: readonly KeyedEvent<T>[],
): FoldResult<T> {
  let state = from;
  const decided = events.map(({ key, event, item }) => {
    const step = foldStep(contract, component, state, event);
    state = step.state;
    return { item, key, decision: step.decision };
  });
  return { state, decided };
}

/** Decides one event of a component against `state`: its decision and the state after it. */
export function foldStep(
  contract: ContractView,
  component: ComponentType,
  state: ComponentState,
  event: DomainEvent,
): { decision: Decision; state: ComponentState } {
  const decision = decide({ ...contract, states: { ...contract.states, [component]: state } }, event);
  return { decision, state: decision.nextState ?? state };
}
