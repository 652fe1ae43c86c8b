import type { FastifyInstance } from 'fastify';
import { exposureWarnings, readsNeedToken } from './config-exposure.js';
import type { Config } from './config.js';
import { KafkaError } from './errors.js';
import { startHttpServers } from './http/servers.js';
import { retryUntilDone, StopRequested } from './kafka/backoff.js';
import { createEventConsumer, type EventConsumer } from './kafka/event-consumer.js';
import { createKafkaClient } from './kafka/kafkajs/client.js';
import { kafkaSecurity, refusedLoginMessage } from './kafka/kafka-security.js';
import { startOutboxRelay, type OutboxRelay } from './kafka/outbox-relay.js';
import { createOutcomeDelivery, createSizedSender } from './kafka/outcome-delivery.js';
import { createPositionDelivery } from './kafka/position-delivery.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createReadinessCheck } from './observability/readiness.js';
import { createRetryLog } from './observability/retry-log.js';
import { startTracing } from './observability/tracing.js';
import { systemClock } from './processing/clock.js';
import { createBatchDecider } from './processing/decide-batch.js';
import { createFailureRecorder } from './processing/record-failure.js';
import { createAuditLog } from './store/audit-log.js';
import { createContractRepository } from './store/contracts.js';
import { probeDatabase } from './store/database-probe.js';
import { createDecisionStore } from './store/decision-store.js';
import { applyMigrations } from './store/migrations.js';
import { drainOutbox } from './store/outcome-outbox.js';
import { createPrismaClient, type PrismaClient } from './store/prisma-client.js';
import { SERVICE_VERSION } from './version.js';

export interface RunningService {
  /** The API; also /health/* and /metrics unless MANAGEMENT_PORT gave them `management`. */
  http: FastifyInstance;
  management: FastifyInstance | undefined;
  metrics: Metrics;
  /**
   * Settles when start-up is over: resolves once events are consumed, rejects
   * on a failure that retrying cannot fix (or with StopRequested after stop()).
   */
  started: Promise<void>;
  /** Stops fetching, finishes and commits the batch in hand, then disconnects everything; start-up included. */
  stop(): Promise<void>;
}

/** While start-up has not reached the consumer. */
const CONSUMER_NOT_STARTED = { running: false, healthy: false, lastError: 'not started yet' };

/**
 * The composition root: wires adapters, use case and storage, and starts
 * them. HTTP listens first, so probes are answered (not ready, with what is
 * missing in the log) however long the database or Kafka keep start-up
 * retrying; it resolves then, and `started` tells when the rest is done.
 */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  let stopping = false;
  // stop() makes start-up give up at once: a Kafka call in flight can take a minute of kafkajs's own retries.
  let abandonStartUp: (reason: StopRequested) => void = () => undefined;
  const startUpAbandoned = new Promise<never>((_resolve, reject) => (abandonStartUp = reject));
  void startUpAbandoned.catch(() => undefined);
  // A wrong password fails every attempt alike: one clear line, not one per retry.
  const logRetry = createRetryLog(logger, {
    repeatAfterMs: 5 * 60_000,
    explain: (error) => (error instanceof KafkaError && error.loginRefused ? { level: 'error', message: refusedLoginMessage(config) } : undefined),
  });
  /** Retries a start-up step until it succeeds or stop() abandons it; what an abandoned step still makes goes to `dispose`. */
  const keepTrying = async <T>(what: string, work: () => Promise<T>, dispose?: (made: T) => Promise<void>): Promise<T> => {
    const attempts = retryUntilDone(work, {
      initialMs: config.RETRY_INITIAL_MS,
      maxMs: config.RETRY_MAX_MS,
      shouldContinue: () => !stopping,
      keepAlive: async () => undefined,
      onFailure: (error, attempt, delayMs) => logRetry(what, error, { attempt, delayMs }),
      // Start-up steps throw their drivers' errors unclassified (pg's, for migrations): waited out like outages.
      unexpectedAttempts: Number.POSITIVE_INFINITY,
    });
    try {
      return await Promise.race([attempts, startUpAbandoned]);
    } catch (error) {
      if (dispose && error instanceof StopRequested) void attempts.then(dispose, () => undefined);
      throw error;
    }
  };

  for (const warning of exposureWarnings(config)) logger.warn(warning);
  const metrics = createMetrics();
  const tracing = startTracing(config, logger, SERVICE_VERSION);
  const maxLifetimeSeconds = config.DATABASE_CONNECTION_MAX_LIFETIME_SECONDS;
  const prisma: PrismaClient = createPrismaClient(config.DATABASE_URL, config.DATABASE_POOL_SIZE, { maxLifetimeSeconds });
  // HTTP gets a smaller pool of its own, with statement and lock timeouts: a
  // flood of requests queues for its own connections (and is answered 503)
  // instead of taking those the consumer needs to finish its batches.
  const httpPrisma: PrismaClient = createPrismaClient(config.DATABASE_URL, config.HTTP_DATABASE_POOL_SIZE, {
    timeouts: { statementTimeoutMs: config.HTTP_STATEMENT_TIMEOUT_MS, lockTimeoutMs: config.HTTP_LOCK_TIMEOUT_MS },
    maxLifetimeSeconds,
  });
  const transactionTimings = { onTransaction: (seconds: number) => metrics.dbTransactionSeconds.observe(seconds) };
  const store = createDecisionStore(prisma, transactionTimings);
  const deciding = { clock: systemClock, auditEnabled: config.ENABLE_EVENT_AUDIT, eventOrder: config.EVENT_ORDER };
  const decideBatch = createBatchDecider({ store, ...deciding });
  const decideOverHttp = createBatchDecider({ store: createDecisionStore(httpPrisma, transactionTimings), ...deciding });
  const recordFailure = createFailureRecorder({
    store,
    clock: systemClock,
    auditEnabled: config.ENABLE_EVENT_AUDIT,
    onUnrecorded: (decoded, error) =>
      logger.error({ err: error, event_id: decoded.eventId, ...decoded.source }, 'could not record a failed event; its outcome is published unrecorded'),
  });

  // One reading of the TLS and SASL settings for both clients, so the probe logs in exactly as the service does.
  const security = kafkaSecurity(config);
  const kafka = createKafkaClient({
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    security,
    logger: logger.child({ module: 'kafka' }),
  });

  // A probe answers in about a second, however long the service's own retries would wait.
  const kafkaProbe = createKafkaClient({
    clientId: `${config.KAFKA_CLIENT_ID}-probe`,
    brokers: config.KAFKA_BROKERS,
    security,
    logger,
    failFast: true,
  }).createProbe();
  let databaseReady = !config.RUN_MIGRATIONS;
  let relay: OutboxRelay | undefined;
  let consumer: EventConsumer | undefined;
  const readiness = createReadinessCheck(
    {
      pingDatabase: () => probeDatabase(prisma),
      pingKafka: () => kafkaProbe.ping(),
      consumerStatus: () => consumer?.status() ?? CONSUMER_NOT_STARTED,
    },
    { logger },
  );
  metrics.watchReadiness(async () => (await readiness()).ready);

  const http = await startHttpServers(
    { host: config.HTTP_HOST, port: config.HTTP_PORT },
    config.MANAGEMENT_PORT === undefined ? undefined : { host: config.MANAGEMENT_HOST ?? config.HTTP_HOST, port: config.MANAGEMENT_PORT },
    {
      logger,
      metrics,
      contracts: createContractRepository(httpPrisma),
      auditLog: createAuditLog(httpPrisma),
      decideBatch: decideOverHttp,
      // Before the relay runs, decisions wait in the outbox; it drains it when it starts.
      onDecided: () => relay?.wake(),
      readiness,
      tokens: { write: config.API_TOKEN, read: config.API_READ_TOKEN, readsNeedToken: readsNeedToken(config) },
      databaseReady: () => databaseReady,
      timeouts: { requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS, connectionTimeoutMs: config.HTTP_CONNECTION_TIMEOUT_MS },
      eventsRateLimit: { max: config.EVENTS_RATE_LIMIT_MAX, windowMs: config.EVENTS_RATE_LIMIT_WINDOW_MS },
      refusedRateLimit: { max: config.REFUSED_RATE_LIMIT_MAX, windowMs: config.REFUSED_RATE_LIMIT_WINDOW_MS },
      tracer: tracing.tracer,
    },
  );

  /** Everything that waits for the database schema or for Kafka, while HTTP already answers. */
  const startUp = async (): Promise<void> => {
    if (config.RUN_MIGRATIONS) {
      const applied = await keepTrying('applying database migrations', () => applyMigrations(config.DATABASE_URL));
      logger.info({ applied }, applied.length ? 'database migrated' : 'database schema up to date');
      databaseReady = true;
    }
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
      (made) => made.close(),
    );
    relay = startOutboxRelay({
      delivery: createPositionDelivery({
        kafka,
        mode: config.OUTCOME_DELIVERY,
        send: createSizedSender(maxMessageBytes, onCompacted),
        outcomesTopic: config.OUTCOMES_TOPIC,
        positionGroupId: `${config.KAFKA_GROUP_ID}.http-outbox`,
        transactionalId: `${transactionalIdPrefix}-http-outbox`,
        compression: config.OUTCOME_COMPRESSION,
      }),
      drain: (work) => drainOutbox(prisma, work),
      intervalMs: 1_000,
      retry: { initialMs: config.RETRY_INITIAL_MS, maxMs: config.RETRY_MAX_MS },
      logger,
      onPublishFailure: () => metrics.outcomePublishFailures.inc(),
      onPositionAhead: () => metrics.outboxPositionAhead.inc(),
    });

    consumer = createEventConsumer({
      kafka,
      delivery,
      decideBatch,
      recordFailure,
      maxAttempts: config.PROCESSING_MAX_ATTEMPTS,
      logger,
      metrics,
      tracer: tracing.tracer,
      groupId: config.KAFKA_GROUP_ID,
      eventsTopic: config.EVENTS_TOPIC,
      concurrency: config.PARTITIONS_CONSUMED_CONCURRENTLY,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      lagSampleIntervalMs: config.LAG_SAMPLE_INTERVAL_MS,
      maxBatchSize: config.BATCH_MAX_SIZE,
      retry: { initialMs: config.RETRY_INITIAL_MS, maxMs: config.RETRY_MAX_MS },
    });
    await consumer.start();
    logger.info({ eventsTopic: config.EVENTS_TOPIC, outcomesTopic: config.OUTCOMES_TOPIC, groupId: config.KAFKA_GROUP_ID }, 'consuming events');
  };
  const started = startUp();
  // The caller handles a failure through `started`; this keeps it from counting as unhandled meanwhile.
  void started.catch(() => undefined);

  return {
    http: http.api,
    management: http.management,
    metrics,
    started,
    async stop() {
      stopping = true;
      abandonStartUp(new StopRequested('Stopped during start-up'));
      // Settles at once, unless the consumer is joining its group: it may finish, so that it can leave it.
      await started.catch(() => undefined);
      await consumer?.stop();
      await http.close();
      await relay?.stop();
      await kafkaProbe.close();
      await Promise.all([prisma.$disconnect(), httpPrisma.$disconnect(), tracing.shutdown()]);
    },
  };
}
