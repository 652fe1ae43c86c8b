import { describe, expect, it } from 'vitest';
import {
  normaliseReferenceInstant,
  referenceDecode,
  type ReferenceInput,
} from '../../support/fault/reference-decoder.js';

// The fault suite's own decoder, checked against hand-written expectations
// (the hashes were computed outside JavaScript, with `printf … | sha256sum`).

const base = {
  type: 'supply_energy_start',
  contract_number: '1234',
  date: '2024-12-01',
  created_at: '2024-11-20T10:00:00.123456+01:00',
};
const message = (value: unknown, key: string | Buffer | null = '1234', offset = '42'): ReferenceInput => ({
  topic: 'contract-events',
  partition: 0,
  offset,
  key,
  value:
    value === null
      ? null
      : Buffer.isBuffer(value)
        ? value
        : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
});
const event = (fields: Record<string, unknown>, key: string | Buffer | null = '1234') =>
  message({ ...base, ...fields }, key);
/** `derived:` and sha256('invalid\ncontract-events\n0\n42') */
const POSITION_ID = 'derived:0e698a5bbc48b505fb2d8f55f4a121392af5dffea4351859be1eb613076c0572';

describe('reference instant normaliser', () => {
  it.each([
    ['2024-11-20T10:00:00.123456+01:00', '2024-11-20T09:00:00.123456Z'],
    ['2024-11-20T10:00:00Z', '2024-11-20T10:00:00.000000Z'],
    ['2024-11-20T10:00:00', '2024-11-20T10:00:00.000000Z'], // no offset: UTC
    ['2024-11-20t10:00:00.5z', '2024-11-20T10:00:00.500000Z'],
    ['2024-03-01T14:00:00.000001+02:00', '2024-03-01T12:00:00.000001Z'],
    ['2024-12-31T23:30:00-05:30', '2025-01-01T05:00:00.000000Z'], // next day, next year
    ['2024-03-01T00:15:00+00:30', '2024-02-29T23:45:00.000000Z'], // back into a leap day
    ['2023-03-01T00:15:00+00:30', '2023-02-28T23:45:00.000000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000000Z'],
    ['0050-06-15T12:00:00.000007-00:00', '0050-06-15T12:00:00.000007Z'], // two-digit years are not 19xx
    ['9999-12-31T23:59:59.999999Z', '9999-12-31T23:59:59.999999Z'],
    ['2024-11-20T10:00:00.1234567Z', '2024-11-20T10:00:00.123456Z'], // .NET's "o": truncated
    ['2024-11-20T10:00:00.999999999+01:00', '2024-11-20T09:00:00.999999Z'], // never rounded up
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000000Z'],
  ])('%s is %s', (text, normalised) => {
    expect(normaliseReferenceInstant(text)).toBe(normalised);
  });

  it.each([
    '2024-11-20T10:00:00.1234567891Z', // 10 fractional digits
    '2024-11-20T10:00:00.Z',
    '2024-11-20T24:00:00Z',
    '2024-11-20T10:60:00Z',
    '2024-11-20T10:00:60Z', // leap second
    '2024-11-20T10:00:00+24:00',
    '2024-11-20T10:00:00+01:60',
    '2024-11-20T10:00:00+25:99',
    '2023-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '0000-12-31T00:00:00Z',
    '0001-01-01T00:00:00+00:01', // before year 1 in UTC
    '9999-12-31T23:59:59-00:01', // after year 9999 in UTC
    '2024-11-20',
    '20241120T100000Z',
    ' 2024-11-20T10:00:00Z',
    '2024-11-20T10:00:00Z ',
  ])('%s is not accepted', (text) => {
    expect(normaliseReferenceInstant(text)).toBeUndefined();
  });
});

describe('reference decoder', () => {
  it('takes the producer id, or derives one from the content with created_at in UTC', () => {
    expect(referenceDecode(event({ event_id: 'crm-7f3a2c' }))).toEqual({
      kind: 'valid',
      eventId: 'crm-7f3a2c',
      event: {
        type: 'supply_energy_start',
        contract: '1234',
        date: '2024-12-01',
        createdAt: '2024-11-20T09:00:00.123456Z',
      },
    });
    // `derived:` and sha256('supply_energy_start\n1234\n2024-12-01\n2024-11-20T09:00:00.123456Z')
    const derived = 'derived:69ed9f10704b59418011902246ed5dbcf84e0b71958bc38ca71d18088082459e';
    expect(referenceDecode(event({})).eventId).toBe(derived);
    expect(referenceDecode(event({ created_at: '2024-11-20T09:00:00.123456' })).eventId).toBe(derived);
    // The type is part of the id: two events differing only in type are two events.
    expect(referenceDecode(event({ type: 'supply_energy_end' })).eventId).not.toBe(derived);
  });

  it('ignores unknown fields', () => {
    expect(referenceDecode(event({ extra: { nested: [1, 2] }, note: null })).kind).toBe('valid');
  });

  it('counts characters as code points and refuses text Postgres cannot store', () => {
    const valid = (fields: Record<string, unknown>, key?: string) =>
      referenceDecode(event(fields, key ?? String(fields.contract_number ?? '1234'))).kind;
    expect(valid({ contract_number: 'c'.repeat(64) })).toBe('valid');
    expect(valid({ contract_number: 'c'.repeat(65) })).toBe('invalid');
    expect(valid({ contract_number: '' })).toBe('invalid');
    expect(valid({ contract_number: '😀'.repeat(64) })).toBe('valid'); // 128 UTF-16 code units, 64 characters
    expect(valid({ contract_number: 'h-1\u0000' })).toBe('invalid');
    expect(valid({ contract_number: 'h-\uD800' })).toBe('invalid');
    expect(valid({ event_id: 'e'.repeat(128) })).toBe('valid');
    expect(valid({ event_id: '😀'.repeat(128) })).toBe('valid');
    expect(valid({ event_id: 'e'.repeat(129) })).toBe('invalid');
    expect(valid({ event_id: '' })).toBe('invalid');
    expect(valid({ event_id: 'a\uDC00b' })).toBe('invalid');
    expect(valid({ event_id: 'a\nb' })).toBe('invalid');
    expect(valid({ event_id: 'a\u009fb' })).toBe('invalid');
    expect(valid({ event_id: 'a\u00a0b' })).toBe('valid');
    expect(valid({ event_id: 'derived:x' })).toBe('invalid'); // the form of the ids the service derives
    expect(valid({ event_id: 'Derived:x' })).toBe('valid');
    expect(valid({ event_id: null })).toBe('invalid');
    expect(valid({ event_id: 7 })).toBe('invalid');
  });

  it('gives an error outcome the producer id when the value is JSON with a valid one, else the position id', () => {
    expect(referenceDecode(event({ date: '2024-13-01', event_id: 'p-1' }))).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_ERROR',
      eventId: 'p-1',
    });
    expect(referenceDecode(event({ event_id: 'p-2' }, 'other'))).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_ERROR',
      eventId: 'p-2',
    });
    expect(referenceDecode(event({ event_id: 'p-3' }, null))).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_ERROR',
      eventId: 'p-3',
    });
    expect(referenceDecode(message({ event_id: 'p-4' }))).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_ERROR',
      eventId: 'p-4',
    });
    expect(referenceDecode(event({ date: '2024-13-01', event_id: 'x'.repeat(129) }))).toMatchObject({
      eventId: POSITION_ID,
    });
    expect(referenceDecode(event({ date: '2024-13-01', event_id: 12 }))).toMatchObject({ eventId: POSITION_ID });
    expect(
      referenceDecode(event({ event_id: 'derived:69ed9f10704b59418011902246ed5dbcf84e0b71958bc38ca71d18088082459e' })),
    ).toMatchObject({
      code: 'VALIDATION_ERROR',
      eventId: POSITION_ID,
    });
    expect(referenceDecode(event({ date: '2024-13-01' }))).toMatchObject({ eventId: POSITION_ID });
    expect(referenceDecode(message('{"event_id":"p-5",'))).toMatchObject({
      code: 'INVALID_JSON',
      eventId: POSITION_ID,
    });
    expect(referenceDecode(message([{ event_id: 'p-6' }]))).toMatchObject({
      code: 'VALIDATION_ERROR',
      eventId: POSITION_ID,
    });
  });

  it("keys an error outcome by the message's own key, else (none, empty, not UTF-8) by the position id", () => {
    expect(referenceDecode(event({ event_id: 'p-2' }, 'other'))).toMatchObject({ outcomeKey: 'other' });
    expect(referenceDecode(event({ event_id: 'p-3' }, null))).toMatchObject({ outcomeKey: POSITION_ID });
    expect(referenceDecode(event({ event_id: 'p-3' }, ''))).toMatchObject({ outcomeKey: POSITION_ID });
    expect(referenceDecode(event({ event_id: 'p-3' }, Buffer.from([0xc3, 0x28])))).toMatchObject({
      outcomeKey: POSITION_ID,
    });
  });

  it('refuses values over 64 KiB before reading them', () => {
    const sized = (bytes: number) => {
      const text = JSON.stringify({ ...base, padding: '' });
      return message(text.replace('"padding":""', `"padding":"${'x'.repeat(bytes - text.length)}"`));
    };
    expect(sized(64 * 1024).value!.length).toBe(65_536);
    expect(referenceDecode(sized(64 * 1024)).kind).toBe('valid');
    expect(referenceDecode(sized(64 * 1024 + 1))).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_ERROR',
      eventId: POSITION_ID,
    });
  });

  it('compares the key byte for byte', () => {
    expect(referenceDecode(event({}, Buffer.from('1234'))).kind).toBe('valid');
    expect(referenceDecode(event({}, Buffer.from('1234 '))).kind).toBe('invalid');
    expect(referenceDecode(event({ contract_number: '\uFFFD' }, Buffer.from([0xff]))).kind).toBe('invalid'); // not UTF-8, not U+FFFD
  });

  it('reads an empty value, a BOM and duplicate keys the way JSON does', () => {
    expect(referenceDecode(message(''))).toMatchObject({ code: 'INVALID_JSON' });
    expect(
      referenceDecode(message(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(base))])))
        .kind,
    ).toBe('valid');
    expect(
      referenceDecode(
        message(
          '{"type":"nope","type":"supply_energy_start","contract_number":"1234","date":"2024-12-01","created_at":"2024-11-20T10:00:00Z"}',
        ),
      ).kind,
    ).toBe('valid');
  });
});

// The kinds of test/fault/hostile-input.test.ts, with the code that test expects for each.
const valid = {
  type: 'supply_energy_start',
  contract_number: 'h-1',
  date: '2024-01-01',
  created_at: '2024-01-01T00:00:00Z',
};
const json = (fields: Record<string, unknown>) => JSON.stringify({ ...valid, ...fields });
const SQL = "x'); DROP TABLE contracts; --";
const JSON_INJECTION = '","type":"supply_energy_end","x":"';
const hostile = (value: string | Buffer | null, key: string | null = 'h-1'): ReferenceInput => ({
  topic: 'events',
  partition: 0,
  offset: '7',
  key,
  value: value === null ? null : Buffer.from(value),
});
const HOSTILE: [string, ReferenceInput, string][] = [
  ['invalid JSON', hostile('{"type": "supply_energy_start",'), 'INVALID_JSON'],
  ['a JSON array', hostile('[{"type":"supply_energy_start"}]'), 'VALIDATION_ERROR'],
  ['wrong field types', hostile(json({ contract_number: 1234, date: 20240101 })), 'VALIDATION_ERROR'],
  ['an unknown type', hostile(json({ type: 'solar_panel_start' })), 'VALIDATION_ERROR'],
  [
    'missing fields',
    hostile(JSON.stringify({ type: 'supply_energy_start', contract_number: 'h-1' })),
    'VALIDATION_ERROR',
  ],
  ['an impossible date', hostile(json({ date: '2024-02-30' })), 'VALIDATION_ERROR'],
  ['10 fractional digits', hostile(json({ created_at: '2024-01-01T00:00:00.1234567891Z' })), 'VALIDATION_ERROR'],
  ['an unparseable offset', hostile(json({ created_at: '2024-01-01T00:00:00+25:99' })), 'VALIDATION_ERROR'],
  ['a 1 MiB value', hostile(json({ padding: 'x'.repeat(1024 * 1024) })), 'VALIDATION_ERROR'],
  ['invalid UTF-8', hostile(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])), 'INVALID_JSON'],
  ['a null value (tombstone)', hostile(null), 'VALIDATION_ERROR'],
  ['a missing key', hostile(json({}), null), 'VALIDATION_ERROR'],
  ['a key that differs from contract_number', hostile(json({}), 'h-2'), 'VALIDATION_ERROR'],
  [
    'a 10,000-character contract_number',
    hostile(json({ contract_number: 'c'.repeat(10_000) }), 'c'.repeat(10_000)),
    'VALIDATION_ERROR',
  ],
  ['SQL injection in type', hostile(json({ type: SQL })), 'VALIDATION_ERROR'],
  ['SQL injection in date', hostile(json({ date: SQL })), 'VALIDATION_ERROR'],
  ['SQL injection in created_at', hostile(json({ created_at: SQL })), 'VALIDATION_ERROR'],
  ['JSON injection in type', hostile(json({ type: JSON_INJECTION })), 'VALIDATION_ERROR'],
  ['JSON injection in date', hostile(json({ date: JSON_INJECTION })), 'VALIDATION_ERROR'],
  [
    'SQL injection in event_id, with an invalid date',
    hostile(json({ event_id: SQL, date: '2024-13-01' })),
    'VALIDATION_ERROR',
  ],
  ['a NUL in contract_number', hostile(json({ contract_number: 'h-1\u0000' }), 'h-1\u0000'), 'VALIDATION_ERROR'],
  ['NUL bytes that are not JSON', hostile(Buffer.from([0x00, 0x01, 0x7b, 0x00])), 'INVALID_JSON'],
  ['a key with a NUL, differing from contract_number', hostile(json({}), 'h-\u0000'), 'VALIDATION_ERROR'],
  ['SQL injection in contract_number', hostile(json({ contract_number: SQL }), SQL), 'valid'],
  ['JSON injection in contract_number', hostile(json({ contract_number: JSON_INJECTION }), JSON_INJECTION), 'valid'],
  ['SQL injection in event_id', hostile(json({ event_id: SQL, contract_number: 'nobody' }), 'nobody'), 'valid'],
  ['a line break in event_id (a Kafka header)', hostile(json({ event_id: 'h-1\r\nforged: 1' })), 'VALIDATION_ERROR'],
  ['an event_id in the form of derived ids', hostile(json({ event_id: 'derived:h-1' })), 'VALIDATION_ERROR'],
];

describe('reference decoder on the hostile-input kinds', () => {
  it.each(HOSTILE)('%s', (_name, input, code) => {
    const decoded = referenceDecode(input);
    expect(decoded.kind === 'valid' ? 'valid' : decoded.code).toBe(code);
  });

  it('answers the invalid event with a producer id under that id', () => {
    expect(referenceDecode(HOSTILE[19]![1]).eventId).toBe(SQL);
    expect(referenceDecode(HOSTILE[25]![1]).eventId).toBe(SQL);
  });
});
