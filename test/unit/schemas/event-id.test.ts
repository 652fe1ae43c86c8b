import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src/processing/decode-message.js';
import { invalidMessageId } from '../../../src/processing/event-identity.js';
import { eventIdSchema } from '../../../src/schemas/event.js';
import { buildStubHttpApp } from '../../support/stub-http-app.js';

// event_id becomes the outcome's `event-id` Kafka header, so it must hold no control character.

const CONTROL_CHARACTERS = ['\u0001', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f', '\u0080', '\u0085', '\u009f'];
const refusal = /must not contain control characters \(U\+0000–U\+001F, U\+007F–U\+009F\)/;

const issuesOf = (value: string) => eventIdSchema.safeParse(value).error?.issues.map((issue) => issue.message) ?? [];

describe('event_id', () => {
  it.each(
    CONTROL_CHARACTERS.map((character) => [
      `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
      character,
    ]),
  )('refuses %s, saying why', (_name, character) => {
    for (const value of [`${character}crm-1`, `crm${character}1`, `crm-1${character}`])
      expect(issuesOf(value)).toEqual([expect.stringMatching(refusal)]);
  });

  it('reports a NUL once, as text Postgres cannot store', () => {
    expect(issuesOf('crm\u00001')).toEqual(['must not contain NUL characters or unpaired surrogates']);
  });

  it('accepts printable text on both sides of the control ranges, non-ASCII included', () => {
    for (const value of [' ', '~', '\u00a0', 'crm-7f3a2c', 'contrat-été-ü', '契約-1', '😀', 'x'.repeat(128)])
      expect(issuesOf(value), value).toEqual([]);
  });

  it('over Kafka: an event whose event_id holds a control character gets an error outcome, under an id of its position', () => {
    const source = { transport: 'kafka' as const, topic: 'contract-events', partition: 0, offset: '7' };
    const value = JSON.stringify({
      type: 'supply_energy_start',
      contract_number: '1234',
      date: '2024-12-01',
      created_at: '2024-11-20T10:00:00Z',
      event_id: 'crm\r\nforged: 1',
    });
    const decoded = decodeMessage({ key: Buffer.from('1234'), value: Buffer.from(value), source });
    expect(decoded).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_ERROR',
      eventId: invalidMessageId(source),
      error: { message: expect.stringMatching(/event_id: must not contain control characters/) },
    });
  });

  // `derived:` starts every id the service makes up for an event without one, so a producer cannot take such an id in advance.
  const reserved =
    /must not start with "derived:", which marks the ids the service derives for events sent without event_id/;
  // printf '%s\n%s\n%s\n%s' supply_energy_start 1234 2024-12-01 2024-11-20T10:00:00.000000Z | sha256sum
  const DERIVED_ID = 'derived:5e32ceae8b7fadc49a7aba8332d2e790f43fdc13c8a215bb240b5252d294874f';

  it('refuses an id in the reserved derived form, saying why', () => {
    for (const value of ['derived:', 'derived:x', DERIVED_ID])
      expect(issuesOf(value), value).toEqual([expect.stringMatching(reserved)]);
  });

  it('accepts ids that only resemble the reserved form', () => {
    for (const value of ['derived', 'Derived:x', 'DERIVED:x', ' derived:x', 'x-derived:', 'derived-x'])
      expect(issuesOf(value), value).toEqual([]);
  });

  it('over Kafka: an event whose event_id is in the reserved form gets an error outcome, under an id of its position', () => {
    const source = { transport: 'kafka' as const, topic: 'contract-events', partition: 0, offset: '7' };
    const value = JSON.stringify({
      type: 'supply_energy_start',
      contract_number: '1234',
      date: '2024-12-01',
      created_at: '2024-11-20T10:00:00Z',
      event_id: DERIVED_ID,
    });
    const decoded = decodeMessage({ key: Buffer.from('1234'), value: Buffer.from(value), source });
    expect(decoded).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_ERROR',
      // printf 'invalid\ncontract-events\n0\n7' | sha256sum
      eventId: 'derived:f3832209582ab3ccbc99080ea8e04376d4d926e796c82f23d4dc340d5d6edc87',
      error: { message: expect.stringMatching(/event_id: must not start with "derived:"/) },
    });
  });

  it.each([
    ['a control character', 'crm\u00851', refusal],
    ['the reserved form', DERIVED_ID, reserved],
  ])('over HTTP: POST /events answers 422 naming event_id for %s', async (_name, eventId, why) => {
    const app = await buildStubHttpApp();
    try {
      const payload = {
        type: 'supply_energy_start',
        contract_number: '1234',
        date: '2024-12-01',
        created_at: '2024-11-20T10:00:00Z',
        event_id: eventId,
      };
      const response = await app.inject({ method: 'POST', url: '/events', payload });
      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({
        code: 'VALIDATION_ERROR',
        details: { in: 'body', issues: [{ path: 'event_id', message: expect.stringMatching(why) }] },
      });
    } finally {
      await app.close();
    }
  });
});
