import type { ZodError } from 'zod';
import type { DomainEvent } from '../domain/decide.js';
import { parseInstant } from '../domain/timestamp.js';
import { contractEventSchema, eventIdSchema, type ContractEventInput } from '../schemas/event.js';
import { storableText } from '../schemas/storable-text.js';
import type { OutcomeSource, SourcePosition } from '../schemas/outcome.js';
import type { DecodedMessage, InvalidMessage, ValidMessage } from './decoded-message.js';
import { contentFingerprint, derivedEventId, invalidMessageId } from './event-identity.js';

/** The raw bytes of one consumed message and where it came from. */
export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  source: SourcePosition;
}

/** How much of a bad value an error outcome quotes back. */
export const RAW_QUOTE_LIMIT = 4096;
/** An event is a few hundred bytes; anything this large is refused before it is parsed. */
export const MAX_EVENT_BYTES = 64 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Turns a consumed message into a valid event or a described error; never throws. */
export function decodeMessage(raw: RawMessage): DecodedMessage {
  if (raw.value === null) {
    return invalidMessage(
      raw,
      'VALIDATION_ERROR',
      'The message has no value (a tombstone); expected a JSON event.',
      {},
    );
  }
  if (raw.value.length > MAX_EVENT_BYTES) {
    return invalidMessage(
      raw,
      'VALIDATION_ERROR',
      `The message value is ${raw.value.length} bytes; an event is at most ${MAX_EVENT_BYTES} bytes.`,
      {
        ...quote(raw.value.subarray(0, RAW_QUOTE_LIMIT).toString('utf8')),
        raw_truncated: true,
        raw_bytes: raw.value.length,
      },
    );
  }
  let text: string;
  try {
    text = utf8.decode(raw.value);
  } catch {
    return invalidMessage(raw, 'INVALID_JSON', 'The message value is not valid UTF-8.', {
      raw_base64: raw.value.subarray(0, RAW_QUOTE_LIMIT).toString('base64'),
      raw_bytes: raw.value.length,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return invalidMessage(raw, 'INVALID_JSON', 'The message value is not valid JSON.', {
      // The parser quotes the input in its message.
      reason: storableText((error as Error).message, RAW_QUOTE_LIMIT),
      ...quote(text),
    });
  }
  const parsed = contractEventSchema.safeParse(json);
  if (!parsed.success) {
    const details = { issues: parsed.error.issues, ...quote(text) };
    return invalidMessage(raw, 'VALIDATION_ERROR', describeIssues(parsed.error), details, producerEventId(json));
  }
  const keyProblem = checkKey(raw.key, parsed.data.contract_number);
  if (keyProblem) return invalidMessage(raw, 'VALIDATION_ERROR', keyProblem, quote(text), parsed.data.event_id);
  return validMessage(parsed.data, raw.source);
}

/**
 * A validated event ready to decide, with its id: the producer's, or one
 * derived from its content. Kafka and HTTP both come through here.
 */
export function validMessage(input: ContractEventInput, source: OutcomeSource): ValidMessage {
  const event = toDomainEvent(input);
  const fingerprint = contentFingerprint(event);
  return { kind: 'valid', eventId: input.event_id ?? derivedEventId(fingerprint), event, source, fingerprint };
}

function toDomainEvent(input: ContractEventInput): DomainEvent {
  const createdAt = parseInstant(input.created_at);
  // The schema has already refused anything parseInstant cannot read.
  if (createdAt === undefined)
    throw new TypeError(`created_at passed validation but cannot be parsed: ${input.created_at}`);
  return { type: input.type, contractNumber: input.contract_number, date: input.date, createdAt };
}

/**
 * Events must be keyed by their contract_number: that is what keeps one
 * contract on one partition, and so its events in order.
 */
function checkKey(key: Buffer | null, contractNumber: string): string | undefined {
  if (key === null) return 'The message has no key; events must be keyed by their contract_number.';
  const text = key.toString('utf8');
  if (text === contractNumber) return undefined;
  const shown = text.length > 100 ? `${storableText(text, 100)}…` : storableText(text, 100);
  return `The message key ${JSON.stringify(shown)} differs from contract_number ${JSON.stringify(contractNumber)}; events must be keyed by their contract_number.`;
}

/** A message answered with an `error` outcome of its own, recorded under its Kafka position. */
export function invalidMessage(
  raw: RawMessage,
  code: InvalidMessage['code'],
  message: string,
  details: Record<string, unknown>,
  producerId?: string,
): InvalidMessage {
  const { source } = raw;
  const ledgerId = invalidMessageId(source);
  const outcomeKey = keyText(raw.key) ?? ledgerId;
  return {
    kind: 'invalid',
    eventId: producerId ?? ledgerId,
    ledgerId,
    outcomeKey,
    code,
    error: { code, message, details },
    source,
  };
}

/** A key as text, when it is non-empty UTF-8. */
function keyText(key: Buffer | null): string | undefined {
  if (key === null || key.length === 0) return undefined;
  try {
    return utf8.decode(key);
  } catch {
    return undefined;
  }
}

/** The producer's event_id of a JSON value that is not a valid event, when that id itself is valid. */
function producerEventId(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || !('event_id' in json)) return undefined;
  const parsed = eventIdSchema.safeParse(json.event_id);
  return parsed.success ? parsed.data : undefined;
}

/** The start of a bad value, quoted back in its error. */
function quote(text: string): { raw: string; raw_truncated: boolean } {
  // Never cut a surrogate pair in half.
  const end =
    text.length > RAW_QUOTE_LIMIT && /[\uD800-\uDBFF]/.test(text.charAt(RAW_QUOTE_LIMIT - 1))
      ? RAW_QUOTE_LIMIT - 1
      : RAW_QUOTE_LIMIT;
  return { raw: storableText(text, end), raw_truncated: text.length > end };
}

/** One line naming every field that was wrong. */
function describeIssues(error: ZodError): string {
  const problems = error.issues.map(
    (issue) => `${issue.path.length ? issue.path.join('.') : 'value'}: ${issue.message}`,
  );
  return `The event is not valid: ${problems.join('; ')}.`;
}
