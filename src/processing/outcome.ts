import { formatInstant } from '../domain/timestamp.js';
import { EVENT_ID_CONFLICT, type OutcomeMessage, type RevisedDecision } from '../schemas/outcome.js';
import type { DecodedMessage, ValidMessage } from './decoded-message.js';
import { contentFingerprint } from './event-identity.js';
import type { LedgerDecision, PastEvent, RecordedDecision } from './decision-records.js';

/** An outcome ready to publish: the message and its Kafka key (every outcome has one: the outcome topic may be compacted). */
export interface Outcome {
  key: string;
  message: OutcomeMessage;
}

/** Which decision of its event an outcome carries, and on a revision outcome the decision it replaces. */
export interface OutcomeRevision {
  revision: number;
  revises: RevisedDecision | null;
}

/** The identity of an outcome, the same on every copy of it: its CloudEvents `ce_id`. */
export function outcomeIdentity(message: OutcomeMessage): string {
  const { source } = message;
  const input =
    source.transport === 'kafka' ? `${source.topic}/${source.partition}/${source.offset}` : `http/${source.request_id}`;
  return message.revision === 0 ? input : `${input}/revision/${message.revision}`;
}

const FIRST_DECISION: OutcomeRevision = Object.freeze({ revision: 0, revises: null });

/**
 * The outcome of one consumed message, given the decision that stands for it.
 * `processedAt` is already formatted: one batch shares one instant, formatted once.
 */
export function buildOutcome(
  decoded: DecodedMessage,
  decision: RecordedDecision,
  duplicate: boolean,
  processedAt: string,
  { revision, revises }: OutcomeRevision = FIRST_DECISION,
): Outcome {
  if (decoded.kind === 'invalid') {
    return {
      key: decoded.outcomeKey,
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
        revision,
        revises,
        replay: false,
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
      error:
        decision.status === 'error' ? (decision.error ?? { code: decision.code, message: decision.message }) : null,
      source: decoded.source,
      processed_at: processedAt,
      revision,
      revises,
      replay: false,
    },
  };
}

/**
 * The answer to an event whose event_id was already decided for other
 * content: an error that names the decision standing for that id, and changes nothing.
 */
export function conflictOutcome(decoded: ValidMessage, standing: LedgerDecision, processedAt: string): Outcome {
  const message = `Event id ${decoded.eventId} was already decided for an event with other content; this event was not applied.`;
  const error = {
    code: EVENT_ID_CONFLICT,
    message,
    details: {
      event_id: decoded.eventId,
      decided: { status: standing.status, code: standing.code, processed_at: standing.processedAt },
    },
  };
  return buildOutcome(decoded, { status: 'error', code: EVENT_ID_CONFLICT, message, error }, false, processedAt);
}

/** The outcome that announces an earlier event's changed decision: its own event and source, the new decision. */
export function revisionOutcome(
  past: PastEvent,
  decision: RecordedDecision,
  revises: RevisedDecision,
  processedAt: string,
): Outcome {
  const fingerprint = past.decision.fingerprint ?? contentFingerprint(past.event);
  const decoded: ValidMessage = {
    kind: 'valid',
    eventId: past.eventId,
    event: past.event,
    source: past.source,
    fingerprint,
  };
  return buildOutcome(decoded, decision, false, processedAt, { revision: revises.revision + 1, revises });
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
  const error = {
    code: message.error?.code ?? message.code,
    message: text,
    details: { truncated: true, outcome_bytes: outcomeBytes },
  };
  return { key, message: { ...message, message: text, error } };
}

function cutText(text: string, chars: number): string {
  if (text.length <= chars) return text;
  // Never cut a surrogate pair in half.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(chars - 1)) ? chars - 1 : chars;
  return `${text.slice(0, end)}…`;
}
