import { formatInstant } from '../domain/timestamp.js';
import type { OutcomeMessage } from '../schemas/outcome.js';
import type { DecodedMessage } from './decoded-message.js';
import type { RecordedDecision } from './ports.js';

/** An outcome ready to publish: the message and its Kafka key. */
export interface Outcome {
  key: string | null;
  message: OutcomeMessage;
}

/** The outcome of one consumed message, given the decision that stands for it. */
/** `processedAt` is already formatted: one batch shares one instant, formatted once. */
export function buildOutcome(decoded: DecodedMessage, decision: RecordedDecision, duplicate: boolean, processedAt: string): Outcome {
  if (decoded.kind === 'invalid') {
    return {
      key: null,
      message: {
        event_id: decoded.eventId,
        status: 'error',
        code: decoded.code,
        message: decoded.error.message,
        duplicate,
        event: null,
        error: decoded.error,
        source: decoded.source,
        processed_at: processedAt,
      },
    };
  }
  const { event } = decoded;
  return {
    key: event.contractNumber,
    message: {
      event_id: decoded.eventId,
      status: decision.status,
      code: decision.code,
      message: decision.message,
      duplicate,
      event: {
        type: event.type,
        contract_number: event.contractNumber,
        date: event.date,
        created_at: formatInstant(event.createdAt),
      },
      error: decision.status === 'error' ? (decision.error ?? { code: decision.code, message: decision.message }) : null,
      source: decoded.source,
      processed_at: processedAt,
    },
  };
}

/** How much of its message an outcome that had to be compacted keeps. */
const COMPACT_MESSAGE_CHARS = 256;

/**
 * The same answer for the same message without what made it too large to
 * publish (the quoted value, the issues): an outcome the broker refuses even
 * alone must not stall its partition.
 */
export function compactOutcome({ key, message }: Outcome, outcomeBytes: number): Outcome {
  const text = cutText(message.message, COMPACT_MESSAGE_CHARS);
  const error = { code: message.error?.code ?? message.code, message: text, details: { truncated: true, outcome_bytes: outcomeBytes } };
  return { key, message: { ...message, message: text, error } };
}

function cutText(text: string, chars: number): string {
  if (text.length <= chars) return text;
  // Never cut a surrogate pair in half.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(chars - 1)) ? chars - 1 : chars;
  return `${text.slice(0, end)}…`;
}
