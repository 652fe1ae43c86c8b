import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaClient } from '../../src/kafka/kafkajs/client.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';
import { createContracts, startInProcessService, type InProcessService } from '../support/in-process-service.js';
import { readOutcomes } from '../support/outcome-reader.js';

// Events decided over HTTP reach the outcome topic through the outbox, once
// each, also when a relay died after publishing but before forgetting, and
// when the outbox ids went backwards (a database restore, RESTART IDENTITY).

let db: TestDatabase;
let running: InProcessService;
const warnings: { msg: string; [field: string]: unknown }[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await createContracts(db, [{ contractNumber: 'h-1', components: ['energy_supply'] }]);
  running = await startInProcessService(
    db,
    createLogger('warn', {
      write: (line: string) => void warnings.push(JSON.parse(line) as (typeof warnings)[number]),
    }),
  );
});
afterAll(async () => {
  await running?.service.stop();
  await db?.drop();
});

const decide = (body: object, headers: Record<string, string> = {}) =>
  running.service.http.inject({ method: 'POST', url: '/events', payload: body, headers });
// The W3C Trace Context recommendation's example (section 3.2).
const CALLER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7' };
const outbox = () =>
  withClient(
    db.url,
    async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM outcome_outbox')).rows[0]!.n,
  );

describe('decisions made over HTTP', () => {
  it("are published on the outcome topic once each, with an HTTP source, continuing the caller's trace", async () => {
    const event = {
      type: 'supply_energy_start',
      contract_number: 'h-1',
      date: '2024-12-01',
      created_at: '2024-11-20T10:00:00Z',
      event_id: 'http-1',
    };
    const first = await decide(event, {
      traceparent: `00-${CALLER.traceId}-${CALLER.parentId}-01`,
      tracestate: 'congo=t61rcWkgMzE',
    });
    const again = await decide(event);
    expect(first.json()).toMatchObject({ code: 'ACCEPTED', duplicate: false });
    expect(again.json()).toMatchObject({ code: 'ACCEPTED', duplicate: true });
    const outcomes = await readOutcomes(running.config.KAFKA_BROKERS.join(','), running.config.OUTCOMES_TOPIC, 2);
    expect(
      outcomes.map((o) => [
        o.key,
        o.headers['event-id'],
        o.message.code,
        o.message.duplicate,
        o.message.source.transport,
      ]),
    ).toEqual([
      ['h-1', 'http-1', 'ACCEPTED', false, 'http'],
      ['h-1', 'http-1', 'ACCEPTED', true, 'http'],
    ]);
    const [firstSource, againSource] = outcomes.map((o) => o.message.source);
    expect(firstSource).not.toEqual(againSource);
    // The first request's trace goes on under a span of the service's; the second had none, so its outcome starts one.
    const [traced, untraced] = outcomes.map((o) => o.headers);
    expect(traced!.traceparent).toMatch(new RegExp(`^00-${CALLER.traceId}-(?!${CALLER.parentId})[0-9a-f]{16}-01$`));
    expect(traced!.tracestate).toBe('congo=t61rcWkgMzE');
    expect(untraced!.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(untraced!.traceparent).not.toContain(CALLER.traceId);
    expect(untraced!.tracestate).toBeUndefined();
    expect(await outbox()).toBe(0);
  });

  it('are not published twice when an earlier relay committed them to Kafka but could not delete them', async () => {
    const { config } = running;
    // Two outcomes left in the outbox; Kafka already says everything below the second was published.
    const ids = await withClient(db.url, async (client) => {
      await client.query('SELECT pg_advisory_lock($1)', [0x6f7574626f78]); // hold the relay off while we set the scene
      try {
        const rows = await client.query<{ id: string; uid: string }>(
          `INSERT INTO outcome_outbox (event_id, message_key, message) VALUES ('left-1', 'h-1', $1), ('left-2', 'h-1', $2) RETURNING id::text, uid::text`,
          [JSON.stringify(leftover('left-1')), JSON.stringify(leftover('left-2'))],
        );
        const kafka = createKafkaClient({
          clientId: 'test-relay-position',
          brokers: config.KAFKA_BROKERS,
          logger: createLogger('silent'),
        });
        const earlierRelay = await kafka.connectTransactionalPublisher(`${config.KAFKA_GROUP_ID}-http-outbox`);
        const [first, second] = rows.rows;
        await earlierRelay.sendInTransaction(config.OUTCOMES_TOPIC, [], {
          groupId: `${config.KAFKA_GROUP_ID}.http-outbox`,
          topic: config.OUTCOMES_TOPIC,
          partition: 0,
          nextOffset: second!.id,
          metadata: first!.uid,
        });
        await earlierRelay.disconnect();
        return rows.rows.map((row) => row.id);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [0x6f7574626f78]);
      }
    });
    expect(ids).toHaveLength(2);
    const outcomes = await readOutcomes(config.KAFKA_BROKERS.join(','), config.OUTCOMES_TOPIC, 3);
    expect(outcomes.map((o) => o.message.event_id)).toEqual(['http-1', 'http-1', 'left-2']);
    await expect.poll(outbox).toBe(0);
  });

  it('are all published, once each, after the outbox ids went backwards, and the relay says its position was ahead', async () => {
    const { config, service } = running;
    const brokers = config.KAFKA_BROKERS.join(',');
    const kafka = createKafkaClient({
      clientId: 'test-relay-position',
      brokers: config.KAFKA_BROKERS,
      logger: createLogger('silent'),
    });
    const position = () => kafka.committedOffset(`${config.KAFKA_GROUP_ID}.http-outbox`, config.OUTCOMES_TOPIC, 0);
    await expect.poll(outbox).toBe(0);
    const published = (await readOutcomes(brokers, config.OUTCOMES_TOPIC, 1)).length;
    const { nextOffset } = await position();
    expect(nextOffset).toBeGreaterThan(1n);

    // As after restoring an older backup: the ids start again, below the relay's position.
    await withClient(db.url, (client) => client.query('TRUNCATE outcome_outbox RESTART IDENTITY'));
    // Enough new rows that one has the id the position names, and some lie above it; the relay waits until all are in.
    const eventIds = Array.from({ length: Number(nextOffset) + 1 }, (_, i) => `after-restore-${i + 1}`);
    await withClient(db.url, async (client) => {
      await client.query('SELECT pg_advisory_lock($1)', [0x72656c6179]); // the relays' lock
      try {
        for (const eventId of eventIds) {
          const response = await decide({
            type: 'supply_energy_start',
            contract_number: 'restored-x',
            date: '2024-12-01',
            created_at: '2024-11-20T10:00:00Z',
            event_id: eventId,
          });
          expect(response.json()).toMatchObject({ code: 'CONTRACT_NOT_FOUND', event_id: eventId });
        }
        expect(await outbox()).toBe(eventIds.length);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [0x72656c6179]);
      }
    });

    const outcomes = await readOutcomes(brokers, config.OUTCOMES_TOPIC, published + eventIds.length, {
      quietMs: 1_000,
    });
    expect(outcomes.map((o) => o.message.event_id).filter((id) => id.startsWith('after-restore-'))).toEqual(eventIds);
    await expect.poll(outbox).toBe(0);
    expect(await position()).toMatchObject({ nextOffset: BigInt(eventIds.length + 1) });
    expect((await service.metrics.outboxPositionAhead.get()).values).toEqual([expect.objectContaining({ value: 1 })]);
    expect(warnings.filter((line) => line.msg.includes('position in Kafka is ahead of the outbox'))).toEqual([
      expect.objectContaining({ position: String(nextOffset), oldestId: '1' }),
    ]);
  });
});

function leftover(eventId: string) {
  return {
    event_id: eventId,
    status: 'rejected',
    code: 'CONTRACT_NOT_FOUND',
    message: 'Contract x not found.',
    duplicate: false,
    event: {
      type: 'supply_energy_start',
      contract_number: 'x',
      date: '2024-01-01',
      created_at: '2024-01-01T00:00:00.000000Z',
    },
    error: null,
    source: { transport: 'http', request_id: `req-${eventId}` },
    processed_at: '2026-01-01T00:00:00.000000Z',
    revision: 0,
    revises: null,
    replay: false,
  };
}
