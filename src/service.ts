import type { FastifyInstance } from 'fastify';
import { exposureWarnings } from './config-exposure.js';
import type { Config } from './config.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { startTracing } from './observability/tracing.js';
import { startConsumerSide, type ConsumerSide } from './service/consumer-side.js';
import { startHttpSide } from './service/http-side.js';
import { createKafkaClients } from './service/kafka-clients.js';
import { createStartUpRetries } from './service/start-up-retries.js';
import { openStorage } from './service/storage.js';
import { applyMigrations } from './store/migrations.js';
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

/**
 * The composition root: wires adapters, use case and storage (src/service/
 * holds each side's wiring), and starts them. HTTP listens first, so probes
 * are answered (not ready, with what is missing in the log) however long the
 * database or Kafka keep start-up retrying; it resolves then, and `started`
 * tells when the rest is done.
 */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const retries = createStartUpRetries(config, logger);
  for (const warning of exposureWarnings(config)) logger.warn(warning);
  const metrics = createMetrics();
  const tracing = startTracing(config, logger, SERVICE_VERSION);
  const storage = openStorage(config, logger, metrics);
  const { kafka, kafkaProbe } = createKafkaClients(config, logger);
  let databaseReady = !config.RUN_MIGRATIONS;
  const consumerSide: ConsumerSide = {};

  const http = await startHttpSide(config, {
    logger,
    metrics,
    tracer: tracing.tracer,
    storage,
    kafkaProbe,
    consumer: () => consumerSide.consumer,
    // Before the relay runs, decisions wait in the outbox; it drains it when it starts.
    onDecided: () => consumerSide.relay?.wake(),
    databaseReady: () => databaseReady,
  });

  /** Everything that waits for the database schema or for Kafka, while HTTP already answers. */
  const startUp = async (): Promise<void> => {
    if (config.RUN_MIGRATIONS) {
      const applied = await retries.keepTrying('applying database migrations', () =>
        applyMigrations(config.DATABASE_URL),
      );
      logger.info({ applied }, applied.length ? 'database migrated' : 'database schema up to date');
      databaseReady = true;
    }
    await startConsumerSide(config, { kafka, storage, retries, logger, metrics, tracer: tracing.tracer }, consumerSide);
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
      retries.abandon();
      // Settles at once, unless the consumer is joining its group: it may finish, so that it can leave it.
      await started.catch(() => undefined);
      await consumerSide.consumer?.stop();
      await http.close();
      await consumerSide.relay?.stop();
      await kafkaProbe.close();
      await Promise.all([storage.close(), tracing.shutdown()]);
    },
  };
}
