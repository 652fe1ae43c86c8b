import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTimeline } from '../../src/domain/timeline.js';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider, type BatchDecider } from '../../src/processing/decide-batch.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import type { DecodedMessage } from '../../src/processing/decoded-message.js';
import { createContractRepository, type ContractRepository } from '../../src/store/contracts.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { drainOutbox } from '../../src/store/outcome-outbox.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';
import {
  ALL_COMPONENTS,
  WORKED_EXAMPLE_CODES,
  WORKED_EXAMPLE_LINES,
  WORKED_EXAMPLE_TIMELINE,
} from '../support/worked-example.js';

let db: TestDatabase;
let prisma: PrismaClient;
let contracts: ContractRepository;
let decideBatch: BatchDecider;
let nextOffset = 0;

const keyOf = (line: string): Buffer | null => {
  try {
    return Buffer.from((JSON.parse(line) as { contract_number: string }).contract_number);
  } catch {
    return null;
  }
};
const decoded = (line: string): DecodedMessage =>
  decodeMessage({
    key: keyOf(line),
    value: Buffer.from(line),
    source: { transport: 'kafka' as const, topic: 'contract-events', partition: 0, offset: String(nextOffset++) },
  });
const event = (fields: Record<string, string>) =>
  JSON.stringify({
    type: 'supply_energy_start',
    contract_number: '1234',
    date: '2024-12-01',
    created_at: '2024-11-20T10:00:00Z',
    ...fields,
  });
const count = (sql: string) =>
  withClient(db.url, async (client) => Number((await client.query<{ n: string }>(sql)).rows[0]!.n));

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, 4);
  contracts = createContractRepository(prisma);
  decideBatch = createBatchDecider({ store: createDecisionStore(prisma), clock: systemClock, auditEnabled: true });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});
beforeEach(async () => {
  await withClient(db.url, (client) =>
    client.query(
      'TRUNCATE contracts, component_states, processed_events, event_audit, outcome_outbox, event_revisions',
    ),
  );
  await contracts.create({ contractNumber: '1234', components: [...ALL_COMPONENTS] });
});

describe('deciding batches in Postgres', () => {
  it('decides the worked example in one batch', async () => {
    const outcomes = await decideBatch(WORKED_EXAMPLE_LINES.map(decoded));
    expect(outcomes.map((o) => o.message.code)).toEqual(WORKED_EXAMPLE_CODES);
    expect(buildTimeline((await contracts.findWithStates('1234'))!)).toEqual(WORKED_EXAMPLE_TIMELINE);
  });

  it('decides the worked example one event per batch the same way', async () => {
    const codes: string[] = [];
    for (const line of WORKED_EXAMPLE_LINES)
      codes.push(...(await decideBatch([decoded(line)])).map((o) => o.message.code));
    expect(codes).toEqual(WORKED_EXAMPLE_CODES);
    expect(buildTimeline((await contracts.findWithStates('1234'))!)).toEqual(WORKED_EXAMPLE_TIMELINE);
  });

  it('audits every decided event once, with its Kafka position, in order', async () => {
    await decideBatch([...WORKED_EXAMPLE_LINES, 'not json'].map(decoded));
    const rows = await withClient(
      db.url,
      async (client) =>
        (
          await client.query(
            'SELECT code, status::text, component_type::text, action, kafka_offset::text FROM event_audit ORDER BY id',
          )
        ).rows,
    );
    expect(rows.map((row) => row.code)).toEqual([...WORKED_EXAMPLE_CODES, 'INVALID_JSON']);
    expect(rows[0]).toMatchObject({ status: 'accepted', component_type: 'energy_supply', action: 'start' });
    expect(rows.at(-1)).toMatchObject({ status: 'error', component_type: null });
    expect(new Set(rows.map((row) => row.kafka_offset)).size).toBe(rows.length);
  });

  it('refuses an event_id reused for other content with EVENT_ID_CONFLICT and changes nothing', async () => {
    const start = event({ event_id: 'e-1' });
    const [first] = await decideBatch([decoded(start)]);
    const other = event({ event_id: 'e-1', date: '2024-11-01', created_at: '2024-11-21T00:00:00Z' });
    const [again] = await decideBatch([decoded(other)]);
    // In one batch too: the second copy conflicts with the first, decided a moment before.
    const [, inBatch] = await decideBatch([
      decoded(event({ event_id: 'e-2', date: '2024-12-02', created_at: '2024-11-22T00:00:00Z' })),
      decoded(event({ event_id: 'e-2', date: '2024-12-03', created_at: '2024-11-22T00:00:00Z' })),
    ]);
    expect(first!.message).toMatchObject({ code: 'ACCEPTED', duplicate: false });
    expect(again!.message).toMatchObject({
      status: 'error',
      code: 'EVENT_ID_CONFLICT',
      duplicate: false,
      event_id: 'e-1',
    });
    expect(again!.message.event).toMatchObject({ date: '2024-11-01' });
    expect(again!.message.error).toMatchObject({
      code: 'EVENT_ID_CONFLICT',
      details: { event_id: 'e-1', decided: { status: 'accepted', code: 'ACCEPTED' } },
    });
    expect(inBatch!.message).toMatchObject({ status: 'error', code: 'EVENT_ID_CONFLICT', event_id: 'e-2' });
    expect(buildTimeline((await contracts.findWithStates('1234'))!).components.energy_supply).toEqual({
      start: '2024-12-02',
      end: null,
    });
    expect(await count('SELECT count(*) AS n FROM event_audit')).toBe(2);
    expect(
      await count(
        `SELECT count(*) AS n FROM processed_events WHERE event_id IN ('e-1', 'e-2') AND fingerprint IS NOT NULL`,
      ),
    ).toBe(2);
  });

  it("lets no producer's event_id take the id a later event without one derives (issue 19)", async () => {
    // The form derived ids had: printf '%s\n%s\n%s\n%s' supply_energy_start 1234 2024-12-01 2024-11-20T10:00:00.000000Z | sha256sum
    const digest = '5e32ceae8b7fadc49a7aba8332d2e790f43fdc13c8a215bb240b5252d294874f';
    const [claim] = await decideBatch([decoded(event({ type: 'battery_optimization_start', event_id: digest }))]);
    const [later] = await decideBatch([decoded(event({}))]);
    const [again] = await decideBatch([decoded(event({ created_at: '2024-11-20T12:00:00+02:00' }))]);
    expect(claim!.message).toMatchObject({ code: 'ACCEPTED', event_id: digest });
    expect(later!.message).toMatchObject({
      status: 'accepted',
      code: 'ACCEPTED',
      duplicate: false,
      event_id: `derived:${digest}`,
    });
    expect(again!.message).toMatchObject({ code: 'ACCEPTED', duplicate: true, event_id: `derived:${digest}` });
  });

  it("lets no producer's event_id take the id of a later message that is not a valid event (issue 19)", async () => {
    const source = { transport: 'kafka' as const, topic: 'contract-events', partition: 0, offset: '900' };
    // The form its id had: printf 'invalid\ncontract-events\n0\n900' | sha256sum
    const digest = '4e13e46918c90dc005f7cd5731b127a651beec55c023a4067188c486f544e39c';
    const [claim] = await decideBatch([decoded(event({ event_id: digest }))]);
    const [garbage] = await decideBatch([decodeMessage({ key: null, value: Buffer.from('not json'), source })]);
    expect(claim!.message).toMatchObject({ code: 'ACCEPTED', event_id: digest });
    expect(garbage!.message).toMatchObject({
      status: 'error',
      code: 'INVALID_JSON',
      duplicate: false,
      event_id: `derived:${digest}`,
    });
  });

  it('answers the same content under the same event_id as a duplicate, whatever the offset spelling of created_at', async () => {
    const [first] = await decideBatch([
      decoded(event({ event_id: 'same-1', created_at: '2024-11-20T12:00:00+02:00' })),
    ]);
    const [again] = await decideBatch([
      decoded(event({ event_id: 'same-1', created_at: '2024-11-20T10:00:00.000000Z' })),
    ]);
    expect(first!.message).toMatchObject({ code: 'ACCEPTED', duplicate: false });
    expect(again!.message).toMatchObject({ code: 'ACCEPTED', duplicate: true });
  });

  it('answers a redelivered message exactly as the first time: same decision, same processed_at, not a duplicate', async () => {
    const start = decoded(event({ event_id: 'r-1' }));
    const garbage = decoded('{"type": "supply_energy_start", "event_id": "r-2"}');
    const first = await decideBatch([start, garbage]);
    // The state moves on before the same two messages are delivered again.
    await decideBatch([
      decoded(event({ type: 'supply_energy_end', date: '2024-12-31', created_at: '2024-11-21T00:00:00Z' })),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await decideBatch([start, garbage]);
    expect(again.map((o) => o.message)).toEqual(first.map((o) => o.message));
    expect(again.map((o) => [o.message.code, o.message.duplicate])).toEqual([
      ['ACCEPTED', false],
      ['VALIDATION_ERROR', false],
    ]);
    expect(await count('SELECT count(*) AS n FROM event_audit')).toBe(3);
  });

  it('answers a re-sent copy with the original decision and its processed_at, marked duplicate', async () => {
    const [first] = await decideBatch([decoded(event({ event_id: 'c-1' }))]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const [copy] = await decideBatch([decoded(event({ event_id: 'c-1' }))]);
    expect(copy!.message).toEqual({ ...first!.message, duplicate: true, source: copy!.message.source });
    expect(copy!.message.source).not.toEqual(first!.message.source);
  });

  it("answers invalid input under the producer's event_id without taking that id from a corrected event", async () => {
    const [invalid] = await decideBatch([decoded(event({ event_id: 'fix-1', date: '2024-02-30' }))]);
    const [corrected] = await decideBatch([decoded(event({ event_id: 'fix-1' }))]);
    expect(invalid!.message).toMatchObject({
      event_id: 'fix-1',
      status: 'error',
      code: 'VALIDATION_ERROR',
      duplicate: false,
    });
    expect(corrected!.message).toMatchObject({
      event_id: 'fix-1',
      status: 'accepted',
      code: 'ACCEPTED',
      duplicate: false,
    });
  });

  it('keeps outcomes of decisions made for the outbox in the same transaction', async () => {
    const http = {
      ...(decoded(event({})) as Extract<DecodedMessage, { kind: 'valid' }>),
      eventId: 'h-1',
      source: { transport: 'http' as const, request_id: 'req-a' },
    };
    const [outcome] = await decideBatch([http], { outbox: true });
    const rows = await withClient(
      db.url,
      async (client) =>
        (
          await client.query<{ event_id: string; message_key: string; message: string }>(
            'SELECT event_id, message_key, message FROM outcome_outbox',
          )
        ).rows,
    );
    expect(rows).toEqual([{ event_id: 'h-1', message_key: '1234', message: JSON.stringify(outcome!.message) }]);
    expect(outcome!.message.source).toEqual({ transport: 'http', request_id: 'req-a' });
  });

  it('appends to the outbox while a relay is busy publishing (a slow broker never blocks a decision)', async () => {
    let release: () => void = () => undefined;
    const publishing = new Promise<void>((resolve) => (release = resolve));
    let relayAtWork: () => void = () => undefined;
    const atWork = new Promise<void>((resolve) => (relayAtWork = resolve));
    const draining = drainOutbox(prisma, async (outbox) => {
      await outbox.pending(10);
      relayAtWork();
      await publishing;
    });
    await atWork;
    const http = {
      ...(decoded(event({})) as Extract<DecodedMessage, { kind: 'valid' }>),
      eventId: 'h-2',
      source: { transport: 'http' as const, request_id: 'req-b' },
    };
    const decided = await Promise.race([
      decideBatch([http], { outbox: true }).then(() => 'decided'),
      new Promise((resolve) => setTimeout(() => resolve('blocked'), 5_000)),
    ]);
    release();
    await draining;
    expect(decided).toBe('decided');
  });

  it('recognises an event sent twice without event_id, also within one batch', async () => {
    const outcomes = await decideBatch([
      decoded(event({})),
      decoded(event({ created_at: '2024-11-20T12:00:00+02:00' })),
    ]);
    expect(outcomes.map((o) => [o.message.code, o.message.duplicate])).toEqual([
      ['ACCEPTED', false],
      ['ACCEPTED', true],
    ]);
    expect(outcomes[0]!.message.event_id).toBe(outcomes[1]!.message.event_id);
    expect(await count('SELECT count(*) AS n FROM processed_events')).toBe(1);
  });

  it('applies an event once when two batches race for it', async () => {
    const line = event({ event_id: 'race' });
    const results = await Promise.all(Array.from({ length: 6 }, () => decideBatch([decoded(line)])));
    const duplicates = results.map(([outcome]) => outcome!.message.duplicate);
    expect(duplicates.filter((d) => !d)).toHaveLength(1);
    expect(results.every(([outcome]) => outcome!.message.code === 'ACCEPTED')).toBe(true);
    expect(await count('SELECT count(*) AS n FROM event_audit')).toBe(1);
  });

  it('compares created_at to the microsecond', async () => {
    await decideBatch([decoded(event({ created_at: '2024-11-20T10:00:00.000001Z' }))]);
    const [stale] = await decideBatch([
      decoded(event({ date: '2024-12-02', created_at: '2024-11-20T10:00:00.000001Z', event_id: 'x' })),
    ]);
    const [newer] = await decideBatch([
      decoded(event({ date: '2024-12-03', created_at: '2024-11-20T10:00:00.000002Z' })),
    ]);
    expect(stale!.message.code).toBe('STALE_START');
    expect(newer!.message.code).toBe('ACCEPTED');
    const stored = await withClient(
      db.url,
      async (client) =>
        (
          await client.query(
            `SELECT to_char(start_event_created_at AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS t FROM component_states`,
          )
        ).rows[0],
    );
    expect(stored).toEqual({ t: '10:00:00.000002' });
  });

  it('keeps no audit when auditing is off, but still remembers the decision', async () => {
    const quiet = createBatchDecider({ store: createDecisionStore(prisma), clock: systemClock, auditEnabled: false });
    await quiet([decoded(event({ event_id: 'q' }))]);
    const [again] = await quiet([decoded(event({ event_id: 'q' }))]);
    expect(again!.message.duplicate).toBe(true);
    expect(await count('SELECT count(*) AS n FROM event_audit')).toBe(0);
  });

  it('rolls the whole batch back when the transaction fails', async () => {
    await withClient(db.url, (client) =>
      client.query('ALTER TABLE event_audit ADD CONSTRAINT fail_all CHECK (false) NOT VALID'),
    );
    try {
      await expect(decideBatch([decoded(event({}))])).rejects.toThrow();
    } finally {
      await withClient(db.url, (client) => client.query('ALTER TABLE event_audit DROP CONSTRAINT fail_all'));
    }
    expect(await count('SELECT count(*) AS n FROM processed_events')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM component_states WHERE start_date IS NOT NULL')).toBe(0);
  });
});
