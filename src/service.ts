import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildHttpApp } from './http/app.js';
import { retryUntilDone } from './kafka/backoff.js';
import { createEventConsumer, type EventConsumer } from './kafka/event-consumer.js';
import { createKafkaClient } from './kafka/kafka-client.js';
import { kafkaSecurity } from './kafka/kafka-security.js';
import { startOutboxRelay } from './kafka/outbox-relay.js';
import { createOutcomeDelivery, createSizedSender } from './kafka/outcome-delivery.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createReadinessCheck } from './observability/readiness.js';
import { systemClock } from './processing/clock.js';
import { createBatchDecider } from './processing/decide-batch.js';
import { createFailureRecorder } from './processing/record-failure.js';
import { createAuditLog } from './store/audit-log.js';
import { createContractRepository } from './store/contracts.js';
import { createDecisionStore } from './store/decision-store.js';
import { applyMigrations } from './store/migrations.js';
import { drainOutbox } from './store/outcome-outbox.js';
import { createPrismaClient, type PrismaClient } from './store/prisma-client.js';

export interface RunningService {
  http: FastifyInstance;
  metrics: Metrics;
  consumer: EventConsumer;
  /** Stops fetching, finishes and commits the batch in hand, then disconnects everything. */
  stop(): Promise<void>;
}

/** The composition root: wires adapters, use case and storage, and starts them. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  let stopping = false;
  const keepTrying = <T>(what: string, work: () => Promise<T>) =>
    retryUntilDone(work, {
      initialMs: config.RETRY_INITIAL_MS,
      maxMs: config.RETRY_MAX_MS,
      shouldContinue: () => !stopping,
      keepAlive: async () => undefined,
      onFailure: (error, attempt, delayMs) => logger.warn({ err: error, attempt, delayMs }, `${what} failed; retrying`),
    });

  const metrics = createMetrics();
  if (config.RUN_MIGRATIONS) {
    const applied = await keepTrying('applying database migrations', () => applyMigrations(config.DATABASE_URL));
    logger.info({ applied }, applied.length ? 'database migrated' : 'database schema up to date');
  }
  const prisma: PrismaClient = createPrismaClient(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const store = createDecisionStore(prisma, { onTransaction: (seconds) => metrics.dbTransactionSeconds.observe(seconds) });
  const decideBatch = createBatchDecider({ store, clock: systemClock, auditEnabled: config.ENABLE_EVENT_AUDIT });
  const recordFailure = createFailureRecorder({
    store,
    clock: systemClock,
    auditEnabled: config.ENABLE_EVENT_AUDIT,
    onUnrecorded: (decoded, error) =>
      logger.error({ err: error, event_id: decoded.eventId, ...decoded.source }, 'could not record a failed event; its outcome is published unrecorded'),
  });

  const kafka = createKafkaClient({
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    logger: logger.child({ module: 'kafka' }),
  });
  const topicConfig = { 'max.message.bytes': String(config.TOPIC_MAX_MESSAGE_BYTES) };
  const created = await keepTrying('creating Kafka topics', () =>
    kafka.ensureTopics([
      { topic: config.EVENTS_TOPIC, partitions: config.TOPIC_PARTITIONS, replicationFactor: config.TOPIC_REPLICATION_FACTOR, config: topicConfig },
      { topic: config.OUTCOMES_TOPIC, partitions: config.TOPIC_PARTITIONS, replicationFactor: config.TOPIC_REPLICATION_FACTOR, config: topicConfig },
    ]),
  );
  if (created.length) logger.info({ topics: created }, 'created Kafka topics');
  // The broker enforces the topic's own value, whoever created it.
  const maxMessageBytes = await keepTrying('reading the outcome topic limits', () => kafka.topicMaxMessageBytes(config.OUTCOMES_TOPIC));
  const transactionalIdPrefix = config.KAFKA_TRANSACTIONAL_ID_PREFIX ?? config.KAFKA_GROUP_ID;
  const onCompacted = (eventIds: readonly string[]) => {
    metrics.outcomesCompacted.inc(eventIds.length);
    logger.warn({ event_ids: eventIds, maxMessageBytes }, 'outcomes too large for the outcome topic were published in compact form');
  };
  const delivery = await keepTrying('connecting the outcome producer', () =>
    createOutcomeDelivery({
      kafka,
      mode: config.OUTCOME_DELIVERY,
      groupId: config.KAFKA_GROUP_ID,
      eventsTopic: config.EVENTS_TOPIC,
      outcomesTopic: config.OUTCOMES_TOPIC,
      transactionalIdPrefix,
      compression: config.OUTCOME_COMPRESSION,
      maxMessageBytes,
      onCompacted,
    }),
  );
  const relay = startOutboxRelay({
    kafka,
    mode: config.OUTCOME_DELIVERY,
    drain: (work) => drainOutbox(prisma, work),
    send: createSizedSender(maxMessageBytes, onCompacted),
    outcomesTopic: config.OUTCOMES_TOPIC,
    positionGroupId: `${config.KAFKA_GROUP_ID}.http-outbox`,
    transactionalId: `${transactionalIdPrefix}-http-outbox`,
    compression: config.OUTCOME_COMPRESSION,
    intervalMs: 1_000,
    retry: { initialMs: config.RETRY_INITIAL_MS, maxMs: config.RETRY_MAX_MS },
    logger,
    onPublishFailure: () => metrics.outcomePublishFailures.inc(),
  });

  const consumer = createEventConsumer({
    kafka,
    delivery,
    decideBatch,
    recordFailure,
    maxAttempts: config.PROCESSING_MAX_ATTEMPTS,
    logger,
    metrics,
    groupId: config.KAFKA_GROUP_ID,
    eventsTopic: config.EVENTS_TOPIC,
    concurrency: config.PARTITIONS_CONSUMED_CONCURRENTLY,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    lagSampleIntervalMs: config.LAG_SAMPLE_INTERVAL_MS,
    maxBatchSize: config.BATCH_MAX_SIZE,
    retry: { initialMs: config.RETRY_INITIAL_MS, maxMs: config.RETRY_MAX_MS },
  });

  // A probe answers in about a second, however long the service's own retries would wait.
  const kafkaProbe = createKafkaClient({
    clientId: `${config.KAFKA_CLIENT_ID}-probe`,
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    logger,
    failFast: true,
  });
  const readiness = createReadinessCheck({
    pingDatabase: () => prisma.$queryRaw`SELECT 1`,
    pingKafka: () => kafkaProbe.listTopics(),
    consumerStatus: () => consumer.status(),
  });

  const http = await buildHttpApp({
    logger,
    metrics,
    contracts: createContractRepository(prisma),
    auditLog: createAuditLog(prisma),
    decideBatch,
    onDecided: () => relay.wake(),
    readiness,
  });
  await http.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  await consumer.start();
  logger.info({ eventsTopic: config.EVENTS_TOPIC, outcomesTopic: config.OUTCOMES_TOPIC, groupId: config.KAFKA_GROUP_ID }, 'consuming events');

  return {
    http,
    metrics,
    consumer,
    async stop() {
      stopping = true;
      await consumer.stop();
      await http.close();
      await relay.stop();
      await prisma.$disconnect();
    },
  };
}
