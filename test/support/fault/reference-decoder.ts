// An independent reference decoder of input messages for reconciliations,
// written from SPEC sections 2–3 and issue 8: which messages are valid
// events, the error code of the others, and the event id every outcome must
// carry. It shares no code with src/ (no imports from it at all), so a bug
// there cannot hide by being computed the same way here.

import { createHash } from 'node:crypto';

export const REFERENCE_EVENT_TYPES: readonly string[] = [
  'supply_energy_start',
  'supply_energy_end',
  'battery_optimization_start',
  'battery_optimization_end',
  'heatpump_optimization_start',
  'heatpump_optimization_end',
];

/** A value larger than this many bytes is refused before it is read. */
export const REFERENCE_MAX_VALUE_BYTES = 64 * 1024;

export type ReferenceErrorCode = 'INVALID_JSON' | 'VALIDATION_ERROR';

/** A valid event as plain strings, created_at normalised (`YYYY-MM-DDTHH:MM:SS.ffffffZ`). */
export interface ReferenceDecodedEvent {
  type: string;
  contract: string;
  date: string;
  createdAt: string;
}

export type ReferenceDecoded =
  | { kind: 'valid'; eventId: string; event: ReferenceDecodedEvent }
  | { kind: 'invalid'; eventId: string; code: ReferenceErrorCode; reason: string; outcomeKey: string };

export interface ReferenceInput {
  topic: string;
  partition: number;
  offset: string;
  /** The key as bytes, or as text (compared by its UTF-8 bytes). */
  key: Buffer | string | null;
  value: Buffer | null;
}

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Every id the service makes up starts with this; a producer's id must not (issue 19). */
const RESERVED_PREFIX = 'derived:';

/** The id of an event sent without `event_id`: `derived:` and a hash of its content, created_at normalised. */
export function referenceContentId(event: ReferenceDecodedEvent): string {
  return RESERVED_PREFIX + sha256Hex([event.type, event.contract, event.date, event.createdAt].join('\n'));
}

/** The id of an unreadable message (or one without a valid producer id): `derived:` and a hash of its Kafka position. */
export function referencePositionId(topic: string, partition: number, offset: string): string {
  return RESERVED_PREFIX + sha256Hex(['invalid', topic, String(partition), offset].join('\n'));
}

/** True when no UTF-16 code unit of `text` is NUL or half of a surrogate pair. */
export function isReferenceStorable(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return false;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : -1;
      if (next < 0xdc00 || next > 0xdfff) return false;
      i += 1; // the pair's low half
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/**
 * Characters as SPEC counts them (and Postgres `varchar(n)` does): Unicode
 * code points, so a character outside the BMP counts once, not twice.
 */
function characters(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function isStringOfLength(value: unknown, min: number, max: number): value is string {
  if (typeof value !== 'string' || !isReferenceStorable(value)) return false;
  const length = characters(value);
  return length >= min && length <= max;
}

/**
 * A producer's `event_id` the service must honour: 1–128 characters, storable, no C0/C1 control character (it
 * becomes a Kafka header), not in the form of the ids the service derives.
 */
export function isReferenceEventId(value: unknown): value is string {
  return (
    isStringOfLength(value, 1, 128) &&
    [...value].every((character) => !isControlCharacter(character.codePointAt(0)!)) &&
    !value.startsWith(RESERVED_PREFIX)
  );
}

function isControlCharacter(codePoint: number): boolean {
  return codePoint <= 0x1f || (codePoint >= 0x7f && codePoint <= 0x9f);
}

function isLeap(year: number): boolean {
  if (year % 400 === 0) return true;
  if (year % 100 === 0) return false;
  return year % 4 === 0;
}

function realDate(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  const lengths = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= lengths[month - 1]!;
}

/** A strict `YYYY-MM-DD` naming a real day of years 0001–9999. */
export function isReferenceDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return match !== null && realDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

// RFC 3339's date-time (the ISO 8601 profile SPEC's examples use), with the
// offset optional (no offset means UTC): `T` (or `t`), seconds required, up
// to nine fractional digits (the first six kept), `Z` (or `z`) or `±HH:MM`.
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))?$/;

/**
 * Normalises an ISO 8601 date-time to UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`,
 * or undefined when it is not one this service accepts. The whole seconds are
 * moved by the offset with JavaScript's own Date arithmetic; the fraction is
 * carried as digits (an offset is whole minutes, so it never changes it).
 */
export function normaliseReferenceInstant(text: string): string | undefined {
  const match = INSTANT.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = (match[7] ?? '').slice(0, 6).padEnd(6, '0');
  const sign = match[9];
  const offsetHours = Number(match[10] ?? 0);
  const offsetMinutes = Number(match[11] ?? 0);
  if (!realDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined;
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offset = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);

  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day); // setUTCFullYear does not map years 0–99 to 19xx
  utc.setUTCHours(hour, minute - offset, second, 0);
  const utcYear = utc.getUTCFullYear();
  if (utcYear < 1 || utcYear > 9999) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${String(utcYear).padStart(4, '0')}-${two(utc.getUTCMonth() + 1)}-${two(utc.getUTCDate())}` +
    `T${two(utc.getUTCHours())}:${two(utc.getUTCMinutes())}:${two(utc.getUTCSeconds())}.${fraction}Z`
  );
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function keyBytes(key: Buffer | string | null): Buffer | null {
  return key === null ? null : typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

/** A key as text when it is non-empty UTF-8. */
function keyText(key: Buffer | string | null): string | undefined {
  const bytes = keyBytes(key);
  if (bytes === null || bytes.length === 0) return undefined;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * What the service must make of one input message: a valid event with its
 * id, or the error code and id of its `error` outcome.
 *
 * Judgement calls where the SPEC is silent, made here once:
 * - a null value (tombstone) is VALIDATION_ERROR (there is no value to be "not JSON");
 * - a value over 64 KiB is refused before it is read, so its error outcome
 *   gets the position id even if it would have carried a producer id;
 * - a UTF-8 byte order mark before the JSON is ignored (RFC 8259 allows that);
 * - an `event_id` that is present but not a valid id (null, a number, too
 *   long, …) makes the event invalid;
 * - the outcome of an invalid message is keyed by the message's own key, or
 *   by its position id when it has none, an empty one or one that is not
 *   UTF-8 (SPEC 3: "a stable non-null key when it had none").
 */
export function referenceDecode(input: ReferenceInput): ReferenceDecoded {
  const positionId = referencePositionId(input.topic, input.partition, input.offset);
  const invalid = (code: ReferenceErrorCode, reason: string, producerId?: unknown): ReferenceDecoded => ({
    kind: 'invalid',
    code,
    reason,
    eventId: isReferenceEventId(producerId) ? producerId : positionId,
    outcomeKey: keyText(input.key) ?? positionId,
  });

  if (input.value === null) return invalid('VALIDATION_ERROR', 'tombstone');
  if (input.value.length > REFERENCE_MAX_VALUE_BYTES) return invalid('VALIDATION_ERROR', 'too large');
  let text: string;
  try {
    text = strictUtf8.decode(input.value);
  } catch {
    return invalid('INVALID_JSON', 'not UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return invalid('INVALID_JSON', 'not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return invalid('VALIDATION_ERROR', 'not an object');

  const fields = json as Record<string, unknown>;
  const own = (name: string): unknown =>
    Object.prototype.hasOwnProperty.call(fields, name) ? fields[name] : undefined;
  const producerId = own('event_id');
  const type = own('type');
  const contract = own('contract_number');
  const date = own('date');
  const createdAtText = own('created_at');
  const createdAt = typeof createdAtText === 'string' ? normaliseReferenceInstant(createdAtText) : undefined;

  if (typeof type !== 'string' || !REFERENCE_EVENT_TYPES.includes(type))
    return invalid('VALIDATION_ERROR', 'type', producerId);
  if (!isStringOfLength(contract, 1, 64)) return invalid('VALIDATION_ERROR', 'contract_number', producerId);
  if (!isReferenceDate(date)) return invalid('VALIDATION_ERROR', 'date', producerId);
  if (createdAt === undefined) return invalid('VALIDATION_ERROR', 'created_at', producerId);
  if (Object.prototype.hasOwnProperty.call(fields, 'event_id') && !isReferenceEventId(producerId)) {
    return invalid('VALIDATION_ERROR', 'event_id', producerId);
  }
  const key = keyBytes(input.key);
  if (key === null) return invalid('VALIDATION_ERROR', 'no key', producerId);
  if (!key.equals(Buffer.from(contract, 'utf8'))) return invalid('VALIDATION_ERROR', 'key differs', producerId);

  const event = { type, contract, date, createdAt };
  return { kind: 'valid', eventId: isReferenceEventId(producerId) ? producerId : referenceContentId(event), event };
}
