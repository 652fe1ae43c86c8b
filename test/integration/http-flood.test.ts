import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { COMPONENT_TYPES, EVENT_TYPES, type ComponentType } from '../../src/domain/catalogue.js';
import { createKafkaClient } from '../../src/kafka/kafkajs/client.js';
import type { Publisher } from '../../src/kafka/port.js';
import { kafkaSecurity } from '../../src/kafka/kafka-security.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startHttpFlood, type HttpFlood } from '../support/http-flood.js';
import { createContracts, startInProcessService, type InProcessService } from '../support/in-process-service.js';
import { startOutcomeTally, type OutcomeTally } from '../support/outcome-tally.js';

// The consumer is never starved by HTTP: HTTP requests have a pool of their
// own, so while 200 clients flood POST /events the consumer decides Kafka
// events at nearly the pace it has alone. Measured, not assumed: the time to
// decide EVENTS events (produced at once, until every outcome is read) alone,
// then under the flood.

const EVENTS = 2_000;
const BATCH_SIZE = 100;
const PACE_CONTRACTS = 4;
const FLOOD_CLIENTS = 200;
/**
 * The flood still costs the consumer CPU (2 cores shared with Kafka and
 * Postgres), never its connections. Measured on such a machine, busy with
 * other work too: 1.5–2.9× over eight runs with HTTP on its own pool; 10× and
 * 21× when HTTP shared the consumer's pool, whose every batch then queued for
 * a connection behind 200 requests.
 */
const MAX_SLOWDOWN = 4;

let db: TestDatabase;
let running: InProcessService;
let publisher: Publisher;
let tally: OutcomeTally;
let flood: HttpFlood | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  const contracts = (prefix: string, count: number, components: ComponentType[]) =>
    Array.from({ length: count }, (_, i) => ({ contractNumber: `${prefix}${i}`, components }));
  await createContracts(db, [
    ...contracts('pace-', PACE_CONTRACTS, [...COMPONENT_TYPES]),
    ...contracts('flood-', FLOOD_CLIENTS, ['energy_supply']),
  ]);
  running = await startInProcessService(db, createLogger('silent'), {
    // No rate limit, so the flood reaches the database.
    EVENTS_RATE_LIMIT_MAX: '0',
    // As when events trickle in: many small batches, each a transaction that
    // needs a connection of the pool (2,000 events are 20 transactions here,
    // where batches of 1,000 would be two or three).
    BATCH_MAX_SIZE: String(BATCH_SIZE),
  });
  const kafka = createKafkaClient({
    clientId: 'it-flood-producer',
    brokers: running.config.KAFKA_BROKERS,
    security: kafkaSecurity(running.config),
    logger: createLogger('silent'),
  });
  publisher = await kafka.connectPublisher();
  tally = await startOutcomeTally(inject('kafkaBrokers'), running.config.OUTCOMES_TOPIC);
});
afterAll(async () => {
  flood?.kill();
  await tally?.stop();
  await publisher?.disconnect();
  await running?.service.stop();
  await db?.drop();
});

/** Produces `count` events over the pace contracts at once; resolves with the milliseconds until all their outcomes were read. */
async function decide(tag: string, count: number): Promise<number> {
  const messages = Array.from({ length: count }, (_, i) => {
    const contractNumber = `pace-${i % PACE_CONTRACTS}`;
    const value = JSON.stringify({
      type: EVENT_TYPES[i % EVENT_TYPES.length],
      contract_number: contractNumber,
      date: new Date(Date.UTC(2024, 0, 1 + (i % 365))).toISOString().slice(0, 10),
      created_at: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
      event_id: `${tag}:${i}`,
    });
    return { key: contractNumber, value, headers: {} };
  });
  const started = performance.now();
  await publisher.send(running.config.EVENTS_TOPIC, messages);
  await tally.reach(tag, count, 60_000);
  return performance.now() - started;
}

describe('an HTTP flood', () => {
  it(`leaves the consumer its pace: ${EVENTS} Kafka events while ${FLOOD_CLIENTS} clients flood POST /events`, async () => {
    await decide('warmup', 100);
    const alone = await decide('alone', EVENTS);

    const { port } = running.service.http.server.address() as AddressInfo;
    flood = startHttpFlood({
      url: `http://127.0.0.1:${port}`,
      clients: FLOOD_CLIENTS,
      contractPrefix: 'flood-',
      answerWithinMs: 20_000,
    });
    await flood.flowing;
    // Long enough for every client's request to be queued for the HTTP pool.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const flooded = await decide('flooded', EVENTS);
    const summary = await flood.stop();
    flood = undefined;

    const answered = Object.values(summary.statuses).reduce((sum, n) => sum + n, 0);
    console.log(
      `[http-flood] ${EVENTS} Kafka events decided in ${(alone / 1000).toFixed(2)} s alone, ${(flooded / 1000).toFixed(2)} s under the flood ` +
        `(×${(flooded / alone).toFixed(2)}); the flood got ${answered} answers ${JSON.stringify(summary.statuses)}, ` +
        `failures ${JSON.stringify(summary.failures)}, slowest ${summary.slowestMs} ms`,
    );
    expect(flooded).toBeLessThanOrEqual(MAX_SLOWDOWN * alone);
    // Every request was answered, and only as the API promises under load.
    expect(summary.failures).toEqual({});
    expect(Object.keys(summary.statuses).filter((status) => !['200', '409', '422', '503'].includes(status))).toEqual(
      [],
    );
    // The flood reached the database: it decided events, not merely queued.
    expect(summary.statuses['200'] ?? 0).toBeGreaterThan(FLOOD_CLIENTS);
  });
});
