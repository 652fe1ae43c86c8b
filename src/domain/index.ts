// The domain core's public API: pure rules and values, no I/O.
export {
  COMPONENT_TYPES,
  EVENT_TYPES,
  EVENT_CATALOGUE,
  isEventType,
  isComponentType,
  type ComponentType,
  type EventType,
  type Action,
} from './catalogue.js';
export { isCalendarDate, type CalendarDate } from './calendar-date.js';
export { parseInstant, formatInstant, instantFromEpochMillis, type Micros } from './timestamp.js';
export {
  DECISION_CODES,
  DECISION_MESSAGES,
  formatDecisionMessage,
  type DecisionCode,
  type DecisionStatus,
  type DecisionMessageValues,
} from './outcome-codes.js';
export { EMPTY_COMPONENT_STATE, type ComponentState } from './component-state.js';
export { decide, type DomainEvent, type ContractView, type Decision } from './decide.js';
export { buildTimeline, type ComponentTimeline, type ContractTimeline } from './timeline.js';
