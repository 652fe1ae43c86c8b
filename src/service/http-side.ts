import type { Tracer } from '@opentelemetry/api';
import { readsNeedToken } from '../config-exposure.js';
import type { Config } from '../config.js';
import { startHttpServers, type HttpServers } from '../http/servers.js';
import type { EventConsumer } from '../kafka/event-consumer.js';
import type { KafkaProbe } from '../kafka/port.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createReadinessCheck } from '../observability/readiness.js';
import { createAuditLog } from '../store/audit-log.js';
import { createContractRepository } from '../store/contracts.js';
import { probeDatabase } from '../store/database-probe.js';
import type { Storage } from './storage.js';

export interface HttpSideDependencies {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  storage: Storage;
  kafkaProbe: KafkaProbe;
  /** The consumer once start-up has made it. */
  consumer: () => EventConsumer | undefined;
  /** Called when a request has decided events, whose outcomes wait in the outbox. */
  onDecided: () => void;
  /** False while start-up is still migrating the database. */
  databaseReady: () => boolean;
}

/** While start-up has not reached the consumer. */
const CONSUMER_NOT_STARTED = { running: false, healthy: false, lastError: 'not started yet' };

/** Readiness, and the API (and management) servers listening with everything they serve. */
export async function startHttpSide(config: Config, deps: HttpSideDependencies): Promise<HttpServers> {
  const { logger, metrics, storage } = deps;
  const readiness = createReadinessCheck(
    {
      pingDatabase: () => probeDatabase(storage.prisma),
      pingKafka: () => deps.kafkaProbe.ping(),
      consumerStatus: () => deps.consumer()?.status() ?? CONSUMER_NOT_STARTED,
    },
    { logger },
  );
  metrics.watchReadiness(async () => (await readiness()).ready);

  return startHttpServers(
    { host: config.HTTP_HOST, port: config.HTTP_PORT },
    config.MANAGEMENT_PORT === undefined
      ? undefined
      : { host: config.MANAGEMENT_HOST ?? config.HTTP_HOST, port: config.MANAGEMENT_PORT },
    {
      logger,
      metrics,
      contracts: createContractRepository(storage.httpPrisma),
      auditLog: createAuditLog(storage.httpPrisma),
      decideBatch: storage.decideOverHttp,
      onDecided: deps.onDecided,
      readiness,
      tokens: { write: config.API_TOKEN, read: config.API_READ_TOKEN, readsNeedToken: readsNeedToken(config) },
      databaseReady: deps.databaseReady,
      timeouts: {
        requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
        connectionTimeoutMs: config.HTTP_CONNECTION_TIMEOUT_MS,
      },
      eventsRateLimit: { max: config.EVENTS_RATE_LIMIT_MAX, windowMs: config.EVENTS_RATE_LIMIT_WINDOW_MS },
      refusedRateLimit: { max: config.REFUSED_RATE_LIMIT_MAX, windowMs: config.REFUSED_RATE_LIMIT_WINDOW_MS },
      tracer: deps.tracer,
    },
  );
}
