import type { ComponentType } from '../domain/catalogue.js';
import { EMPTY_COMPONENT_STATE, type ComponentState } from '../domain/component-state.js';
import type { DomainEvent } from '../domain/decide.js';
import { foldAsGiven, foldInOrder, type KeyedEvent } from '../domain/fold.js';
import type { EventOrder } from '../processing/event-order.js';

/** An event the audit holds as decided against a contract (status accepted or rejected). */
export interface AuditedEvent {
  eventId: string;
  event: DomainEvent;
}

/**
 * A component's state as its audited events give it, from the empty state:
 * in arrival order the events are folded as given (the audit's id order, the
 * order they were decided in); in created_at order they are sorted by
 * created_at, ties by event_id, as the consumer folds them.
 */
export function recomputeComponent(
  contract: { contractNumber: string; components: readonly ComponentType[] },
  component: ComponentType,
  events: readonly AuditedEvent[],
  eventOrder: EventOrder,
): ComponentState {
  const keyed: KeyedEvent<null>[] = events.map(({ eventId, event }) => ({
    key: { createdAt: event.createdAt, eventId },
    event,
    item: null,
  }));
  const view = { contractNumber: contract.contractNumber, components: contract.components, states: {} };
  const fold = eventOrder === 'arrival' ? foldAsGiven : foldInOrder;
  return fold(view, component, EMPTY_COMPONENT_STATE, keyed).state;
}
