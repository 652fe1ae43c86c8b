import type { CalendarDate } from './calendar-date.js';
import type { Micros } from './timestamp.js';

/** What is known about one component of one contract; every field is null until set. */
export interface ComponentState {
  startDate: CalendarDate | null;
  startEventCreatedAt: Micros | null;
  endDate: CalendarDate | null;
  endEventCreatedAt: Micros | null;
}

/** The state of a component no event has touched yet. */
export const EMPTY_COMPONENT_STATE: ComponentState = Object.freeze({
  startDate: null,
  startEventCreatedAt: null,
  endDate: null,
  endEventCreatedAt: null,
});

export function sameComponentState(a: ComponentState, b: ComponentState): boolean {
  return (
    a.startDate === b.startDate &&
    a.startEventCreatedAt === b.startEventCreatedAt &&
    a.endDate === b.endDate &&
    a.endEventCreatedAt === b.endEventCreatedAt
  );
}
