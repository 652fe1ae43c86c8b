import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafkaClient } from '../../src/kafka/kafkajs/client.js';
import type { KafkaClient } from '../../src/kafka/port.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createContracts, startInProcessService, type InProcessService } from '../support/in-process-service.js';

// An outcome topic with cleanup.policy=compact, created before the service
// starts: the broker refuses any record without a key there, so input that
// is no valid event (and has no key of its own) must still get a keyed
// outcome, and the consumer must go on.

const run = randomUUID().slice(0, 8);
const OUTCOMES = `compacted-${run}-outcomes`;
let db: TestDatabase;
let kafka: KafkaClient;
let running: InProcessService;

beforeAll(async () => {
  db = await createTestDatabase();
  await createContracts(db, [{ contractNumber: 'cp-1', components: ['energy_supply'] }]);
  kafka = createKafkaClient({
    clientId: `compacted-${run}`,
    brokers: [inject('kafkaBrokers')],
    logger: createLogger('silent'),
  });
  await kafka.ensureTopics([
    { topic: OUTCOMES, partitions: 2, replicationFactor: 1, config: { 'cleanup.policy': 'compact' } },
  ]);
  running = await startInProcessService(db, createLogger('silent'), { OUTCOMES_TOPIC: OUTCOMES });
});
afterAll(async () => {
  await running?.service.stop();
  await db?.drop();
});

const start = (date: string, eventId: string) =>
  JSON.stringify({
    type: 'supply_energy_start',
    contract_number: 'cp-1',
    date,
    created_at: `${date}T10:00:00Z`,
    event_id: eventId,
  });

describe('a compacted outcome topic', () => {
  it('refuses a record without a key (the topic is compacted indeed)', async () => {
    const publisher = await kafka.connectPublisher();
    try {
      await expect(publisher.send(OUTCOMES, [{ key: null, value: '{}', headers: {} }])).rejects.toThrow(
        /INVALID_RECORD/,
      );
    } finally {
      await publisher.disconnect();
    }
  });

  it('gets a keyed outcome for input without a key that is no valid event, and the consumer goes on', async () => {
    // sendAndAwait keys JSON lines by contract_number and sends anything else without a key.
    const first = await running.sendAndAwait(['not json', start('2024-12-01', 'cp-a')]);
    const invalid = first.find((outcome) => outcome.message.code === 'INVALID_JSON');
    // No key of its own and no event_id in it: keyed by the id of its position, which is its event_id too.
    expect(invalid?.key).toBe(invalid?.message.event_id);
    expect(invalid?.key).toMatch(/^derived:[0-9a-f]{64}$/);
    expect(first.find((outcome) => outcome.message.event_id === 'cp-a')).toMatchObject({
      key: 'cp-1',
      message: { code: 'ACCEPTED' },
    });

    const later = await running.sendAndAwait([start('2024-11-01', 'cp-b')]);
    expect(later.find((outcome) => outcome.message.event_id === 'cp-b')).toMatchObject({
      key: 'cp-1',
      message: { code: 'STALE_START' },
    });
    expect((await running.service.http.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  });
});
