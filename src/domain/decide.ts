import type { CalendarDate } from './calendar-date.js';
import { EVENT_CATALOGUE, type Action, type ComponentType, type EventType } from './catalogue.js';
import { EMPTY_COMPONENT_STATE, type ComponentState } from './component-state.js';
import { formatDecisionMessage, type DecisionCode, type DecisionStatus } from './outcome-codes.js';
import type { Micros } from './timestamp.js';

/** A valid event, as the rules see it. */
export interface DomainEvent {
  type: EventType;
  contractNumber: string;
  date: CalendarDate;
  createdAt: Micros;
}

/** An existing contract and the current state of its components. */
export interface ContractView {
  contractNumber: string;
  components: readonly ComponentType[];
  /** A configured component missing here has not been touched yet. */
  states: Readonly<Partial<Record<ComponentType, ComponentState>>>;
}

export interface Decision {
  status: DecisionStatus;
  code: DecisionCode;
  message: string;
  component: ComponentType;
  action: Action;
  /** The component's new state when accepted; null when rejected. */
  nextState: ComponentState | null;
}

/** A start or an end as recorded: its date and when its event was created. */
interface Mark {
  date: CalendarDate;
  createdAt: Micros;
}

/**
 * Applies the rules of the spec (section 2), in their order, to one event.
 * `contract` is undefined when no such contract exists. Pure: the inputs are
 * never changed; an accepted event's effect is returned as `nextState`.
 */
export function decide(contract: ContractView | undefined, event: DomainEvent): Decision {
  const { component, action } = EVENT_CATALOGUE[event.type];
  const decision = (code: DecisionCode, nextState: ComponentState | null): Decision => ({
    status: code === 'ACCEPTED' ? 'accepted' : 'rejected',
    code,
    message: formatDecisionMessage(code, { contractNumber: event.contractNumber, component }),
    component,
    action,
    nextState,
  });

  if (contract === undefined) return decision('CONTRACT_NOT_FOUND', null);
  if (!contract.components.includes(component)) return decision('COMPONENT_NOT_CONFIGURED', null);

  const state = contract.states[component] ?? EMPTY_COMPONENT_STATE;
  const rejection = action === 'start' ? rejectStart(state, event) : rejectEnd(state, event);
  if (rejection !== undefined) return decision(rejection, null);
  return decision('ACCEPTED', acceptedState(state, event));
}

/** The state once `event` is accepted against `state`: an accepted decision's whole effect. */
export function acceptedState(state: ComponentState, event: DomainEvent): ComponentState {
  return EVENT_CATALOGUE[event.type].action === 'start' ? withStart(state, event) : withEnd(state, event);
}

/** Rule 3: why a start event is rejected, or undefined when it is accepted. */
function rejectStart(state: ComponentState, event: DomainEvent): DecisionCode | undefined {
  const start = recordedStart(state);
  const end = recordedEnd(state);
  if (end && event.createdAt > end.createdAt) return 'RESTART_AFTER_END';
  if (start && event.createdAt <= start.createdAt) return 'STALE_START';
  if (end && event.date > end.date) return 'START_AFTER_END_DATE';
  return undefined;
}

/** Rule 4: why an end event is rejected, or undefined when it is accepted. */
function rejectEnd(state: ComponentState, event: DomainEvent): DecisionCode | undefined {
  const start = recordedStart(state);
  const end = recordedEnd(state);
  if (!start) return 'END_WITHOUT_START';
  if (event.createdAt <= start.createdAt) return 'END_BEFORE_START';
  if (end && event.createdAt <= end.createdAt) return 'STALE_END';
  if (event.date < start.date) return 'END_BEFORE_START';
  return undefined;
}

// A start or end counts only when both its fields are set; decide never
// writes one without the other.

function recordedStart(state: ComponentState): Mark | undefined {
  const { startDate: date, startEventCreatedAt: createdAt } = state;
  return date !== null && createdAt !== null ? { date, createdAt } : undefined;
}

function recordedEnd(state: ComponentState): Mark | undefined {
  const { endDate: date, endEventCreatedAt: createdAt } = state;
  return date !== null && createdAt !== null ? { date, createdAt } : undefined;
}

function withStart(state: ComponentState, event: DomainEvent): ComponentState {
  return { ...state, startDate: event.date, startEventCreatedAt: event.createdAt };
}

function withEnd(state: ComponentState, event: DomainEvent): ComponentState {
  return { ...state, endDate: event.date, endEventCreatedAt: event.createdAt };
}
