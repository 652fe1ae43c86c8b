import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { createKafkaClient } from '../../src/kafka/kafkajs/client.js';
import { kafkaSecurity } from '../../src/kafka/kafka-security.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { startService, type RunningService } from '../../src/service.js';
import { createContractRepository } from '../../src/store/contracts.js';
import { createPrismaClient } from '../../src/store/prisma-client.js';
import type { TestDatabase } from './database.js';
import { readOutcomes, type ReadOutcome } from './outcome-reader.js';

/** The service started in this process on topics and a group of its own, as main.ts would start it. */
export interface InProcessService {
  config: Config;
  service: RunningService;
  /** Sends lines to the events topic (keyed by contract_number when JSON, with `headers` each) and waits for their outcomes. */
  sendAndAwait(lines: string[], headers?: Record<string, string>): Promise<ReadOutcome[]>;
}

export async function startInProcessService(
  db: TestDatabase,
  logger: Logger,
  env: Record<string, string> = {},
): Promise<InProcessService> {
  const run = randomUUID().slice(0, 8);
  const brokers = inject('kafkaBrokers');
  const config = loadConfig({
    KAFKA_BROKERS: brokers,
    DATABASE_URL: db.url,
    EVENTS_TOPIC: `it-${run}-events`,
    OUTCOMES_TOPIC: `it-${run}-outcomes`,
    KAFKA_GROUP_ID: `it-${run}`,
    TOPIC_PARTITIONS: '2',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    ...env,
  });
  const service = await startService(config, logger);
  await service.started.catch(async (error: unknown) => {
    await service.stop();
    throw error;
  });
  let sent = 0;
  return {
    config,
    service,
    async sendAndAwait(lines, headers = {}) {
      const kafka = createKafkaClient({
        clientId: `it-producer-${run}`,
        brokers: config.KAFKA_BROKERS,
        security: kafkaSecurity(config),
        logger: createLogger('silent'),
      });
      const publisher = await kafka.connectPublisher();
      const keyOf = (value: string) =>
        value.startsWith('{') ? ((JSON.parse(value) as { contract_number?: string }).contract_number ?? null) : null;
      await publisher.send(
        config.EVENTS_TOPIC,
        lines.map((value) => ({ key: keyOf(value), value, headers })),
      );
      await publisher.disconnect();
      sent += lines.length;
      return readOutcomes(brokers, config.OUTCOMES_TOPIC, sent);
    },
  };
}

/** Creates contracts straight in the database, before their events arrive. */
export async function createContracts(
  db: TestDatabase,
  contracts: {
    contractNumber: string;
    components: ('energy_supply' | 'battery_optimization' | 'heatpump_optimization')[];
  }[],
): Promise<void> {
  const prisma = createPrismaClient(db.url, 1);
  try {
    const repository = createContractRepository(prisma);
    for (const contract of contracts) await repository.create(contract);
  } finally {
    await prisma.$disconnect();
  }
}

/** A small mixed traffic: accepted, rejected, a re-sent duplicate, an unknown contract, and input that is not JSON. */
export function mixedTraffic(contractNumber: string): string[] {
  const event = (type: string, date: string, createdAt: string, eventId: string) =>
    JSON.stringify({ type, contract_number: contractNumber, date, created_at: createdAt, event_id: eventId });
  const start = event('supply_energy_start', '2024-12-01', '2024-11-20T10:00:00.000001Z', `${contractNumber}-1`);
  return [
    start,
    event('supply_energy_end', '2024-12-31', '2024-11-20T10:01:00Z', `${contractNumber}-2`),
    event('supply_energy_start', '2024-12-02', '2024-11-20T10:02:00Z', `${contractNumber}-3`),
    start,
    JSON.stringify({
      type: 'battery_optimization_start',
      contract_number: `${contractNumber}-unknown`,
      date: '2024-01-01',
      created_at: '2024-01-01T00:00:00Z',
    }),
    'not json {',
  ];
}
