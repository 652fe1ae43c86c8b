import type { ComponentType } from '../domain/catalogue.js';
import type { ComponentState } from '../domain/component-state.js';
import { formatInstant } from '../domain/timestamp.js';

/** The stored fields of a component's state that the audit determines. */
export const STATE_FIELDS = ['start_date', 'start_event_created_at', 'end_date', 'end_event_created_at'] as const;
export type StateField = (typeof STATE_FIELDS)[number];

/**
 * A component state as text, the way Postgres renders it for us: dates
 * `YYYY-MM-DD`, instants `YYYY-MM-DDTHH:MM:SS.ffffffZ`, null when unset.
 * Comparing the texts compares to the microsecond.
 */
export type StateText = Record<StateField, string | null>;

export const EMPTY_STATE_TEXT: StateText = Object.freeze({
  start_date: null,
  start_event_created_at: null,
  end_date: null,
  end_event_created_at: null,
});

export interface FieldDifference {
  field: StateField;
  stored: string | null;
  expected: string | null;
}

/** One component whose stored state is not what its audit gives. */
export interface Difference {
  /** The contract row (incarnation) id. */
  contractId: string;
  contractNumber: string;
  component: ComponentType;
  fields: FieldDifference[];
}

export function stateText(state: ComponentState): StateText {
  const instant = (micros: bigint | null) => (micros === null ? null : formatInstant(micros));
  return {
    start_date: state.startDate,
    start_event_created_at: instant(state.startEventCreatedAt),
    end_date: state.endDate,
    end_event_created_at: instant(state.endEventCreatedAt),
  };
}

/** The fields in which the stored state differs from the expected one, in STATE_FIELDS order. */
export function differingFields(stored: StateText, expected: StateText): FieldDifference[] {
  return STATE_FIELDS.filter((field) => stored[field] !== expected[field]).map((field) => ({
    field,
    stored: stored[field],
    expected: expected[field],
  }));
}
