import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEventConsumer, type EventConsumer } from '../../src/kafka/event-consumer.js';
import { createKafkaClient } from '../../src/kafka/kafkajs/client.js';
import type { KafkaClient } from '../../src/kafka/port.js';
import { createOutcomeDelivery } from '../../src/kafka/outcome-delivery.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider } from '../../src/processing/decide-batch.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createContracts } from '../support/in-process-service.js';
import { readOutcomes } from '../support/outcome-reader.js';

// EVENT_ORDER=created_at on the real broker and database: a chunk of late
// events that revise earlier decisions, whose first Kafka transaction fails.
// A read_committed reader must still get every revision, exactly once.

const run = randomUUID().slice(0, 8);
const brokers = inject('kafkaBrokers');
const EVENTS = `revisions-${run}-events`;
const OUTCOMES = `revisions-${run}-outcomes`;
const CONTRACTS = ['rv-1', 'rv-2', 'rv-3'];

let db: TestDatabase;
let prisma: PrismaClient;
let consumer: EventConsumer;
let kafka: KafkaClient;
/** Set to make the next transaction fail before anything of it reaches the broker. */
let failNextTransaction = false;

/** The real client, except that a transaction fails once when asked to, as when the broker goes away. */
function failingOnce(client: KafkaClient): KafkaClient {
  return {
    ...client,
    async connectTransactionalPublisher(transactionalId, options) {
      const publisher = await client.connectTransactionalPublisher(transactionalId, options);
      return {
        ...publisher,
        async sendInTransaction(topic, requests, consumed) {
          if (failNextTransaction) {
            failNextTransaction = false;
            throw Object.assign(new Error('Connection error: read ECONNRESET'), { name: 'KafkaJSConnectionError' });
          }
          await publisher.sendInTransaction(topic, requests, consumed);
        },
      };
    },
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  await createContracts(
    db,
    CONTRACTS.map((contractNumber) => ({ contractNumber, components: ['energy_supply'] })),
  );
  prisma = createPrismaClient(db.url, 2);
  kafka = createKafkaClient({ clientId: `revisions-${run}`, brokers: [brokers], logger: createLogger('silent') });
  await kafka.ensureTopics([EVENTS, OUTCOMES].map((topic) => ({ topic, partitions: 1, replicationFactor: 1 })));
  const groupId = `revisions-${run}`;
  const client = failingOnce(kafka);
  const delivery = await createOutcomeDelivery({
    kafka: client,
    mode: 'transactional',
    groupId,
    eventsTopic: EVENTS,
    outcomesTopic: OUTCOMES,
    transactionalIdPrefix: groupId,
    compression: 'none',
    maxMessageBytes: await kafka.topicMaxMessageBytes(OUTCOMES),
    onCompacted: () => undefined,
  });
  consumer = createEventConsumer({
    kafka: client,
    delivery,
    decideBatch: createBatchDecider({
      store: createDecisionStore(prisma),
      clock: systemClock,
      auditEnabled: true,
      eventOrder: 'created_at',
    }),
    recordFailure: (decoded) => Promise.reject(new Error(`no event should fail here, yet ${decoded.eventId} did`)),
    maxAttempts: 3,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    tracer: trace.getTracer('unrecorded'),
    groupId,
    eventsTopic: EVENTS,
    concurrency: 1,
    sessionTimeoutMs: 30_000,
    lagSampleIntervalMs: 60_000,
    maxBatchSize: 1000,
    retry: { initialMs: 50, maxMs: 200 },
  });
  await consumer.start();
});
afterAll(async () => {
  await consumer?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

// Per contract: A = start 01-01 created 10:01, B = end 01-05 created 10:02, C = start 01-03 created 10:03.
// C and A arrive first and are accepted; B arriving late revises C to RESTART_AFTER_END.
const EVENT = {
  A: { type: 'supply_energy_start', date: '2024-01-01', created_at: '2024-01-01T10:01:00Z' },
  B: { type: 'supply_energy_end', date: '2024-01-05', created_at: '2024-01-01T10:02:00Z' },
  C: { type: 'supply_energy_start', date: '2024-01-03', created_at: '2024-01-01T10:03:00Z' },
};
const message = (contract: string, name: keyof typeof EVENT) => ({
  key: contract,
  value: JSON.stringify({ ...EVENT[name], contract_number: contract, event_id: `${contract}-${name}` }),
  headers: {},
});

async function produce(messages: ReturnType<typeof message>[]): Promise<void> {
  const publisher = await kafka.connectPublisher();
  try {
    await publisher.send(EVENTS, messages);
  } finally {
    await publisher.disconnect();
  }
}

describe('revisions of a chunk whose Kafka transaction failed once', () => {
  it('reach a read_committed reader, each exactly once', async () => {
    await produce(CONTRACTS.flatMap((contract) => [message(contract, 'C'), message(contract, 'A')]));
    expect(await readOutcomes(brokers, OUTCOMES, 2 * CONTRACTS.length)).toHaveLength(2 * CONTRACTS.length);

    failNextTransaction = true;
    await produce(CONTRACTS.map((contract) => message(contract, 'B')));
    const outcomes = await readOutcomes(brokers, OUTCOMES, 4 * CONTRACTS.length);
    expect(failNextTransaction).toBe(false);

    const summary = outcomes.map(({ message: m }) => `${m.event_id} ${m.revision} ${m.code}`).sort();
    const expected = CONTRACTS.flatMap((contract) => [
      `${contract}-A 0 ACCEPTED`,
      `${contract}-B 0 ACCEPTED`,
      `${contract}-C 0 ACCEPTED`,
      `${contract}-C 1 RESTART_AFTER_END`,
    ]).sort();
    expect(summary).toEqual(expected);
    expect(consumer.status()).toMatchObject({ running: true, healthy: true });
  });
});
