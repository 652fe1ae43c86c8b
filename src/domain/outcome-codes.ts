import type { ComponentType } from './catalogue.js';

export type DecisionStatus = 'accepted' | 'rejected';

export const DECISION_CODES = [
  'ACCEPTED',
  'CONTRACT_NOT_FOUND',
  'COMPONENT_NOT_CONFIGURED',
  'RESTART_AFTER_END',
  'STALE_START',
  'START_AFTER_END_DATE',
  'END_WITHOUT_START',
  'END_BEFORE_START',
  'STALE_END',
] as const;
export type DecisionCode = (typeof DECISION_CODES)[number];

/**
 * The message for each code, word for word as the spec gives it. `{n}` (the
 * contract number) and `{c}` (the component) are filled in by
 * formatDecisionMessage.
 */
export const DECISION_MESSAGES: Readonly<Record<DecisionCode, string>> = Object.freeze({
  ACCEPTED: 'Event processed successfully.',
  CONTRACT_NOT_FOUND: 'Contract {n} not found.',
  COMPONENT_NOT_CONFIGURED: 'Component {c} is not configured for contract {n}.',
  RESTART_AFTER_END: 'Start event that comes after the end event should be rejected.',
  STALE_START: 'Start event ignored: older or equal to existing start event.',
  START_AFTER_END_DATE: 'Start date cannot be after the existing end date.',
  END_WITHOUT_START: 'End event without a start event should be rejected.',
  END_BEFORE_START: 'End event cannot occur before start event.',
  STALE_END: 'End event ignored: older or equal to existing end event.',
});

export interface DecisionMessageValues {
  contractNumber: string;
  component: ComponentType;
}

/** The final message text for a code, with the event's values in place of the placeholders. */
export function formatDecisionMessage(code: DecisionCode, values: DecisionMessageValues): string {
  // A replacer function, so `$&` and friends in a contract number are inserted literally.
  return DECISION_MESSAGES[code].replace(/\{([nc])\}/g, (_placeholder, name: string) =>
    name === 'n' ? values.contractNumber : values.component,
  );
}
