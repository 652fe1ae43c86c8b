import { civilFromDays, daysFromCivil, isValidCivilDate } from './civil-calendar.js';

/**
 * An instant as whole microseconds since 1970-01-01T00:00:00Z. A bigint,
 * because Postgres `timestamptz` keeps microseconds and a JS Date or a
 * float of epoch milliseconds cannot hold them all exactly.
 */
export type Micros = bigint;

const MICROS_PER_SECOND = 1_000_000n;
const SECONDS_PER_DAY = 86_400;
const MICROS_PER_DAY = 86_400_000_000n;

// The instants four-digit years can write: 0001-01-01T00:00:00Z up to the
// last microsecond of 9999-12-31.
const FIRST_DAY = daysFromCivil({ year: 1, month: 1, day: 1 });
const LAST_DAY = daysFromCivil({ year: 9999, month: 12, day: 31 });
const MIN_INSTANT = BigInt(FIRST_DAY) * MICROS_PER_DAY;
const MAX_INSTANT = BigInt(LAST_DAY + 1) * MICROS_PER_DAY - 1n;

// Date, `T` (or `t`, or a space as Postgres prints), hours and minutes,
// optional seconds with up to nine fractional digits (.NET's "o" format
// writes seven, Go's RFC3339Nano and Java's Instant up to nine), then an
// optional offset: `Z`, `±HH:MM`, `±HHMM` or `±HH` (Postgres prints `+00`).
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/** Why a text is not an instant: not ISO 8601 as above, no such calendar day or time, or outside years 0001–9999 in UTC. */
export type InstantProblem = 'format' | 'calendar' | 'range';

export type InstantReading = { micros: Micros } | { problem: InstantProblem };

/**
 * Reads an ISO 8601 date-time into exact microseconds. No offset means UTC.
 * Digits past the sixth of the fraction are dropped (truncated, never
 * rounded, so an instant never moves into the next microsecond). Refuses
 * impossible calendar dates, leap seconds (`:60`) and hour 24 (`calendar`),
 * and instants outside years 0001–9999 once converted to UTC (`range`).
 * Offsets may be up to ±23:59: the widest an ISO 8601 offset can be written.
 * Every instant is normalised to UTC here, so narrower limits elsewhere
 * (Postgres) never see one.
 */
export function readInstant(text: string): InstantReading {
  const match = INSTANT.exec(text);
  if (!match) return { problem: 'format' };
  // Absent parts default to zero; `Z` and no offset both leave `sign` unset, meaning UTC.
  const [
    ,
    year = '',
    month = '',
    day = '',
    hour = '',
    minute = '',
    second = '0',
    fraction = '',
    sign,
    offsetHours = '0',
    offsetMinutes = '0',
  ] = match;
  const date = { year: Number(year), month: Number(month), day: Number(day) };
  const time = { hour: Number(hour), minute: Number(minute), second: Number(second) };
  const offset = { hours: Number(offsetHours), minutes: Number(offsetMinutes) };
  if (!isValidCivilDate(date) || time.hour > 23 || time.minute > 59 || time.second > 59) return { problem: 'calendar' };
  if (offset.hours > 23 || offset.minutes > 59) return { problem: 'format' };

  const offsetSeconds = (sign === '-' ? -1 : 1) * (offset.hours * 3600 + offset.minutes * 60);
  // Whole seconds stay far below 2^53, so number arithmetic is exact until the bigint step.
  const localSeconds = daysFromCivil(date) * SECONDS_PER_DAY + time.hour * 3600 + time.minute * 60 + time.second;
  const micros = BigInt(localSeconds - offsetSeconds) * MICROS_PER_SECOND + BigInt(fraction.slice(0, 6).padEnd(6, '0'));
  return micros >= MIN_INSTANT && micros <= MAX_INSTANT ? { micros } : { problem: 'range' };
}

/** The instant `text` names (see readInstant), or undefined when it names none. */
export function parseInstant(text: string): Micros | undefined {
  const reading = readInstant(text);
  return 'micros' in reading ? reading.micros : undefined;
}

/**
 * Writes an instant as `YYYY-MM-DDTHH:MM:SS.ffffffZ`: always UTC, always six
 * fractional digits, so equal instants give equal text. Throws a RangeError
 * outside years 0001–9999, which four-digit years cannot write.
 */
export function formatInstant(micros: Micros): string {
  if (micros < MIN_INSTANT || micros > MAX_INSTANT) {
    throw new RangeError(`Instant ${micros} µs is outside years 0001–9999.`);
  }
  const days = floorDiv(micros, MICROS_PER_DAY);
  const microsOfDay = micros - days * MICROS_PER_DAY;
  const { year, month, day } = civilFromDays(Number(days));
  const secondOfDay = Number(microsOfDay / MICROS_PER_SECOND);
  const fraction = microsOfDay % MICROS_PER_SECOND;
  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor((secondOfDay % 3600) / 60);
  const second = secondOfDay % 60;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${fraction.toString().padStart(6, '0')}Z`;
}

/**
 * Converts epoch milliseconds (as from Date.now(), or a fractional
 * performance-clock reading) to microseconds, rounded to the nearest one.
 */
export function instantFromEpochMillis(ms: number): Micros {
  if (!Number.isFinite(ms)) throw new RangeError(`Epoch milliseconds must be finite, got ${ms}.`);
  // Whole and fractional milliseconds apart, so large values are not multiplied past 2^53.
  const wholeMillis = Math.floor(ms);
  const extraMicros = Math.round((ms - wholeMillis) * 1000);
  return BigInt(wholeMillis) * 1000n + BigInt(extraMicros);
}

/** Division rounding towards minus infinity (bigint `/` rounds towards zero). */
function floorDiv(dividend: bigint, divisor: bigint): bigint {
  const quotient = dividend / divisor;
  return dividend % divisor < 0n ? quotient - 1n : quotient;
}

function pad(value: number, width: number): string {
  return value.toString().padStart(width, '0');
}
