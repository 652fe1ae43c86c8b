import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/processing/decode-message.js';

const source = { transport: 'kafka' as const, topic: 'contract-events', partition: 2, offset: '41' };
const valid = {
  type: 'supply_energy_start',
  contract_number: '1234',
  date: '2024-12-01',
  created_at: '2024-11-20T12:00:00.5+02:00',
};
const decode = (value: Buffer | string | null, at = source, key: string | null = '1234') =>
  decodeMessage({
    key: key === null ? null : Buffer.from(key),
    value: typeof value === 'string' ? Buffer.from(value) : value,
    source: at,
  });

describe('decodeMessage', () => {
  it('reads a valid event and normalises created_at to UTC microseconds', () => {
    const decoded = decode(JSON.stringify(valid));
    expect(decoded.kind).toBe('valid');
    if (decoded.kind !== 'valid') return;
    expect(decoded.event).toEqual({
      type: 'supply_energy_start',
      contractNumber: '1234',
      date: '2024-12-01',
      createdAt: 1732096800500000n,
    });
    // printf '%s\n%s\n%s\n%s' supply_energy_start 1234 2024-12-01 2024-11-20T10:00:00.500000Z | sha256sum
    expect(decoded.eventId).toBe('derived:297e56b67944fdabfdcf3e44b5ea682e77c18e4b7bceeff545243e7289b99b17');
  });

  it('takes 7 to 9 fractional digits from other ecosystems, truncated to the microsecond, as its 6-digit spelling', () => {
    const nanos = decode(JSON.stringify({ ...valid, created_at: '2024-11-20T10:00:00.500000999Z' }));
    const micros = decode(JSON.stringify({ ...valid, created_at: '2024-11-20T10:00:00.500000Z' }));
    expect(nanos.kind).toBe('valid');
    if (nanos.kind !== 'valid' || micros.kind !== 'valid') return;
    expect(nanos.event.createdAt).toBe(1732096800500000n);
    expect(nanos.eventId).toBe(micros.eventId);
  });

  it("keeps the producer's event_id", () => {
    const decoded = decode(JSON.stringify({ ...valid, event_id: 'upstream-7' }));
    expect(decoded.eventId).toBe('upstream-7');
  });

  it('derives the same id for two spellings of one instant', () => {
    const a = decode(JSON.stringify(valid));
    const b = decode(JSON.stringify({ ...valid, created_at: '2024-11-20T10:00:00.500000Z' }), {
      ...source,
      offset: '99',
    });
    expect(a.eventId).toBe(b.eventId);
    const c = decode(JSON.stringify({ ...valid, created_at: '2024-11-20T10:00:00.500001Z' }));
    expect(c.eventId).not.toBe(a.eventId);
  });

  it.each([
    ['not JSON', 'not json', 'INVALID_JSON'],
    ['truncated JSON', '{"type":', 'INVALID_JSON'],
    ['a JSON array', '[1,2]', 'VALIDATION_ERROR'],
    ['an unknown type', JSON.stringify({ ...valid, type: 'solar_start' }), 'VALIDATION_ERROR'],
    ['an impossible date', JSON.stringify({ ...valid, date: '2024-02-30' }), 'VALIDATION_ERROR'],
    [
      '10 fractional digits',
      JSON.stringify({ ...valid, created_at: '2024-11-20T10:00:00.1234567891Z' }),
      'VALIDATION_ERROR',
    ],
    [
      'a missing field',
      JSON.stringify({ type: valid.type, date: valid.date, created_at: valid.created_at }),
      'VALIDATION_ERROR',
    ],
    ['a wrong field type', JSON.stringify({ ...valid, contract_number: 1234 }), 'VALIDATION_ERROR'],
    [
      'a 65-character contract number',
      JSON.stringify({ ...valid, contract_number: 'x'.repeat(65) }),
      'VALIDATION_ERROR',
    ],
  ])('answers %s with %s and says what was wrong', (_name, value, code) => {
    const decoded = decode(value);
    expect(decoded.kind).toBe('invalid');
    if (decoded.kind !== 'invalid') return;
    expect(decoded.code).toBe(code);
    expect(decoded.error.code).toBe(code);
    expect(decoded.error.message.length).toBeGreaterThan(10);
    expect(decoded.error.details).toMatchObject({ raw: value });
  });

  it('names the bad fields in the message and lists the zod issues', () => {
    const decoded = decode(JSON.stringify({ ...valid, date: '2024-02-30', type: 'nope' }));
    if (decoded.kind !== 'invalid') throw new Error('expected invalid');
    expect(decoded.error.message).toContain('date:');
    expect(decoded.error.message).toContain('type:');
    expect((decoded.error.details as { issues: unknown[] }).issues).toHaveLength(2);
  });

  it('refuses an event without a key, or keyed by something else than its contract_number', () => {
    const unkeyed = decode(JSON.stringify(valid), source, null);
    expect(unkeyed).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_ERROR',
      error: { message: expect.stringContaining('no key') },
    });
    const miskeyed = decode(JSON.stringify(valid), source, '9999');
    expect(miskeyed).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_ERROR',
      error: { message: expect.stringContaining('"9999" differs from contract_number "1234"') },
    });
  });

  it.each([
    ['a NUL in contract_number', { contract_number: 'a\u0000b' }, 'contract_number'],
    ['an unpaired surrogate in contract_number', { contract_number: 'a\ud800b' }, 'contract_number'],
    ['a NUL in event_id', { event_id: 'id\u0000' }, 'event_id'],
  ])('refuses text Postgres cannot store faithfully: %s', (_name, fields, field) => {
    const decoded = decode(
      JSON.stringify({ ...valid, ...fields }),
      source,
      (fields as { contract_number?: string }).contract_number ?? '1234',
    );
    expect(decoded).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_ERROR',
      error: { message: expect.stringContaining(`${field}: must not contain NUL`) },
    });
  });

  it('quotes bad input in a form that can be stored: no NUL, no surrogate pair cut in half', () => {
    const emojiAtTheCut = `${'a'.repeat(4094)}😀tail`; // its high surrogate is the 4,096th character
    const decoded = decode(`\u0000${emojiAtTheCut}`);
    if (decoded.kind !== 'invalid') throw new Error('expected invalid');
    const { raw } = decoded.error.details as { raw: string };
    expect(raw).not.toContain('\u0000');
    expect(raw.startsWith('\uFFFD')).toBe(true);
    expect(raw.length).toBe(4095);
    expect(JSON.stringify(raw)).not.toMatch(/\\ud83d/i);
  });

  it('answers a tombstone with a validation error', () => {
    const decoded = decode(null);
    expect(decoded).toMatchObject({ kind: 'invalid', code: 'VALIDATION_ERROR' });
  });

  it('answers invalid UTF-8 with INVALID_JSON and quotes the bytes', () => {
    const decoded = decode(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(decoded).toMatchObject({
      kind: 'invalid',
      code: 'INVALID_JSON',
      error: { details: { raw_base64: 'e//+fQ==' } },
    });
  });

  it('refuses a value over 64 KiB before parsing it, even a valid event', () => {
    const decoded = decode(JSON.stringify({ ...valid, padding: 'a'.repeat(1024 * 1024) }));
    expect(decoded).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_ERROR',
      error: { message: expect.stringContaining('at most 65536 bytes') },
    });
  });

  it('decodes an event of exactly 64 KiB and refuses one of a byte more, counting bytes, not characters', () => {
    const limit = 65_536; // 64 KiB, the documented limit
    // Padded with 'é' (two bytes in UTF-8) so a count of characters would come out short.
    const sized = (bytes: number) => {
      const bare = JSON.stringify({ ...valid, padding: '' });
      const spare = bytes - Buffer.byteLength(bare);
      const text = JSON.stringify({
        ...valid,
        padding: `${'é'.repeat(Math.floor(spare / 2))}${'a'.repeat(spare % 2)}`,
      });
      expect(Buffer.byteLength(text)).toBe(bytes);
      return text;
    };
    const atLimit = decode(sized(limit));
    expect(atLimit).toMatchObject({ kind: 'valid', event: { contractNumber: '1234' } });
    const over = decode(sized(limit + 1));
    expect(over).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_ERROR',
      error: {
        message: 'The message value is 65537 bytes; an event is at most 65536 bytes.',
        details: { raw_truncated: true, raw_bytes: 65_537 },
      },
    });
  });

  it('quotes at most 4 KiB of a bad value', () => {
    const decoded = decode(`{"junk":"${'a'.repeat(60 * 1024)}"`);
    if (decoded.kind !== 'invalid') throw new Error('expected invalid');
    const details = decoded.error.details as { raw: string; raw_truncated: boolean };
    expect(details.raw).toHaveLength(4096);
    expect(details.raw_truncated).toBe(true);
  });

  it('gives invalid messages an id that names their position', () => {
    const a = decode('bad');
    const b = decode('bad', { ...source, offset: '42' });
    // printf 'invalid\ncontract-events\n2\n41' | sha256sum
    expect(a.eventId).toBe('derived:7bbab7eb0441ebf956c19c30a885a8881733f486594fcda243aa7cda5cb0df2d');
    expect(a.eventId).not.toBe(b.eventId);
    expect(decode('bad').eventId).toBe(a.eventId);
  });
});
