import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { formatInstant, instantFromEpochMillis, parseInstant, readInstant } from '../../../src/domain/timestamp.js';

const MIN = parseInstant('0001-01-01T00:00:00Z') ?? 0n;
const MAX = parseInstant('9999-12-31T23:59:59.999999Z') ?? 0n;

/** Parse, then format: the canonical UTC text, or undefined. */
const canonical = (text: string): string | undefined => {
  const micros = parseInstant(text);
  return micros === undefined ? undefined : formatInstant(micros);
};

describe('parseInstant', () => {
  it('reads the epoch as zero', () => {
    expect(parseInstant('1970-01-01T00:00:00Z')).toBe(0n);
    expect(parseInstant('1969-12-31T23:59:59.999999Z')).toBe(-1n);
  });

  it('treats a timestamp without offset as UTC', () => {
    expect(parseInstant('2024-05-06T07:08:09')).toBe(parseInstant('2024-05-06T07:08:09Z'));
    expect(canonical('2024-05-06T07:08:09.5')).toBe('2024-05-06T07:08:09.500000Z');
  });

  it.each([
    ['2024-05-06T12:00:00+02:00', '2024-05-06T10:00:00.000000Z'],
    ['2024-05-06T12:00:00-05:30', '2024-05-06T17:30:00.000000Z'],
    ['2024-05-06T12:00:00+0200', '2024-05-06T10:00:00.000000Z'],
    ['2024-05-06T12:00:00+02', '2024-05-06T10:00:00.000000Z'],
    ['2024-05-06T12:00:00-00:00', '2024-05-06T12:00:00.000000Z'],
    ['2024-05-06T12:00:00z', '2024-05-06T12:00:00.000000Z'],
    ['2024-05-06 12:00:00.123456+00', '2024-05-06T12:00:00.123456Z'],
    ['2024-05-06t12:00Z', '2024-05-06T12:00:00.000000Z'],
    ['2024-05-06T12:00+01:00', '2024-05-06T11:00:00.000000Z'],
    ['2024-05-06T23:59+23:59', '2024-05-06T00:00:00.000000Z'], // the widest offsets ISO 8601 can write
    ['2024-05-06T00:00-23:59', '2024-05-06T23:59:00.000000Z'],
  ])('converts %s to UTC', (text, utc) => {
    expect(canonical(text)).toBe(utc);
  });

  it.each([
    ['2024-01-01T01:00:00+02:00', '2023-12-31T23:00:00.000000Z'],
    ['2023-12-31T23:30:00-01:00', '2024-01-01T00:30:00.000000Z'],
    ['2024-03-01T00:30:00+01:00', '2024-02-29T23:30:00.000000Z'],
    ['2023-03-01T00:30:00+01:00', '2023-02-28T23:30:00.000000Z'],
    ['2024-02-28T23:30:00-01:00', '2024-02-29T00:30:00.000000Z'],
  ])('rolls the day over across offsets: %s', (text, utc) => {
    expect(canonical(text)).toBe(utc);
  });

  it('keeps six fractional digits exactly', () => {
    const earlier = parseInstant('2024-05-06T07:08:09.123456Z');
    const later = parseInstant('2024-05-06T07:08:09.123457Z');
    const wholeSecond = BigInt(Date.UTC(2024, 4, 6, 7, 8, 9)) * 1000n; // microseconds since the epoch
    expect(earlier).toBe(wholeSecond + 123_456n);
    expect(later).toBe(wholeSecond + 123_457n);
    expect(canonical('2024-05-06T07:08:09.000001Z')).toBe('2024-05-06T07:08:09.000001Z');
  });

  it.each([
    ['2024-05-06T07:08:09.1234567Z', '2024-05-06T07:08:09.123456Z', ".NET's round-trip format (7 digits)"],
    ['2024-05-06T07:08:09.123456789Z', '2024-05-06T07:08:09.123456Z', "Go's RFC3339Nano and Java's Instant (9 digits)"],
    ['2024-05-06T07:08:09.999999999Z', '2024-05-06T07:08:09.999999Z', 'truncated, never rounded into the next second'],
    ['2024-05-06T07:08:09.0000009+02:00', '2024-05-06T05:08:09.000000Z', 'with an offset'],
  ])('keeps the first six of 7 to 9 fractional digits: %s', (text, truncated) => {
    expect(canonical(text)).toBe(truncated);
  });

  it('says why a text is not an instant', () => {
    expect(readInstant('2024-05-06T07:08:09.1234567891Z')).toEqual({ problem: 'format' });
    expect(readInstant('2024-02-30T00:00:00Z')).toEqual({ problem: 'calendar' });
    expect(readInstant('9999-12-31T23:30:00-01:00')).toEqual({ problem: 'range' });
    expect(readInstant('0001-01-01T00:30:00+01:00')).toEqual({ problem: 'range' });
    expect(readInstant('0001-01-01T00:30:00Z')).toEqual({ micros: parseInstant('0001-01-01T00:30:00Z') });
  });

  it('pads shorter fractions on the right', () => {
    expect(canonical('2024-05-06T07:08:09.1Z')).toBe('2024-05-06T07:08:09.100000Z');
    expect(canonical('2024-05-06T07:08:09.012Z')).toBe('2024-05-06T07:08:09.012000Z');
  });

  it('sees the same instant written with different offsets as equal', () => {
    expect(parseInstant('2024-05-06T09:08:09.000001+02:00')).toBe(parseInstant('2024-05-06T07:08:09.000001Z'));
  });

  it.each(['2024-02-29T12:00:00Z', '2000-02-29T00:00:00Z', '2400-02-29T00:00:00Z'])(
    'accepts the leap day %s',
    (text) => {
      expect(parseInstant(text)).toBeDefined();
    },
  );

  it.each([
    ['2024-05-06T07:08:09.1234567891Z', 'ten fractional digits'],
    ['2024-05-06T07:08:09.Z', 'empty fraction'],
    ['2023-02-29T00:00:00Z', 'no leap day in a common year'],
    ['1900-02-29T00:00:00Z', 'century years are not leap years'],
    ['2024-02-30T00:00:00Z', 'no 30 February'],
    ['2024-04-31T00:00:00Z', 'April has 30 days'],
    ['2024-13-01T00:00:00Z', 'month 13'],
    ['2024-00-01T00:00:00Z', 'month 0'],
    ['2024-01-00T00:00:00Z', 'day 0'],
    ['2024-01-01T24:00:00Z', 'hour 24'],
    ['2024-01-01T23:60:00Z', 'minute 60'],
    ['2024-12-31T23:59:60Z', 'leap second'],
    ['2024-01-01T00:00:00+24:00', 'offset hour 24'],
    ['2024-01-01T00:00:00+01:60', 'offset minute 60'],
    ['2024-01-01T00:00:00+1:00', 'one-digit offset hour'],
    ['2024-01-01T00:00:00+01:', 'dangling offset colon'],
    ['2024-01-01T00:00:00 Z', 'space before Z'],
    ['2024-01-01', 'date only'],
    ['2024-01-01T00', 'hour only'],
    ['2024-1-01T00:00:00Z', 'one-digit month'],
    ['2024-01-01T0:00:00Z', 'one-digit hour'],
    ['2024-01-01T00:00:00,5Z', 'comma fraction'],
    ['0000-01-01T00:00:00Z', 'year 0'],
    ['0001-01-01T00:30:00+01:00', 'before year 1 in UTC'],
    ['9999-12-31T23:30:00-01:00', 'after year 9999 in UTC'],
    ['+2024-01-01T00:00:00Z', 'expanded year'],
    ['2024-01-01T00:00:00Z ', 'trailing space'],
    ['', 'empty'],
    ['not a date', 'prose'],
  ])('rejects %s (%s)', (text) => {
    expect(parseInstant(text)).toBeUndefined();
  });
});

describe('formatInstant', () => {
  it('always writes UTC with six fractional digits', () => {
    expect(formatInstant(0n)).toBe('1970-01-01T00:00:00.000000Z');
    expect(formatInstant(1n)).toBe('1970-01-01T00:00:00.000001Z');
    expect(formatInstant(-1n)).toBe('1969-12-31T23:59:59.999999Z');
  });

  it('writes the ends of the supported range and refuses beyond them', () => {
    expect(formatInstant(MIN)).toBe('0001-01-01T00:00:00.000000Z');
    expect(formatInstant(MAX)).toBe('9999-12-31T23:59:59.999999Z');
    expect(() => formatInstant(MIN - 1n)).toThrow(new RangeError(`Instant ${MIN - 1n} µs is outside years 0001–9999.`));
    expect(() => formatInstant(MAX + 1n)).toThrow(new RangeError(`Instant ${MAX + 1n} µs is outside years 0001–9999.`));
  });

  it('round-trips with parseInstant over the whole range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: MIN, max: MAX }), (micros) => {
        expect(parseInstant(formatInstant(micros))).toBe(micros);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with Date to the millisecond (an independent calendar)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: MIN, max: MAX }), (micros) => {
        const millis = micros >= 0n || micros % 1000n === 0n ? micros / 1000n : micros / 1000n - 1n;
        expect(formatInstant(micros).slice(0, 23)).toBe(new Date(Number(millis)).toISOString().slice(0, 23));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with Date on parsing whole-millisecond texts with offsets', () => {
    const offsets = fc.constantFrom('Z', '+00:00', '+02:00', '-05:30', '+14:00', '-12:00', '+05:45');
    const dates = fc.date({
      min: new Date('0100-01-02T00:00:00Z'),
      max: new Date('9999-12-30T00:00:00Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(dates, offsets, (date, offset) => {
        const text = date.toISOString().replace('Z', offset);
        expect(parseInstant(text)).toBe(BigInt(Date.parse(text)) * 1000n);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('instantFromEpochMillis', () => {
  it('scales whole milliseconds exactly', () => {
    expect(instantFromEpochMillis(0)).toBe(0n);
    expect(instantFromEpochMillis(1_700_000_000_123)).toBe(1_700_000_000_123_000n);
    expect(instantFromEpochMillis(-1)).toBe(-1000n);
  });

  it('keeps the microseconds of a fractional reading', () => {
    expect(instantFromEpochMillis(1_700_000_000_123.25)).toBe(1_700_000_000_123_250n);
    expect(instantFromEpochMillis(1.001)).toBe(1001n);
  });

  it('refuses non-finite input', () => {
    // Checked by message: BigInt() would throw a RangeError of its own without the check.
    expect(() => instantFromEpochMillis(Number.NaN)).toThrow(
      new RangeError('Epoch milliseconds must be finite, got NaN.'),
    );
    expect(() => instantFromEpochMillis(Number.POSITIVE_INFINITY)).toThrow(
      new RangeError('Epoch milliseconds must be finite, got Infinity.'),
    );
  });
});
