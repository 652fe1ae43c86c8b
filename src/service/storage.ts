import type { Config } from '../config.js';
import { withLostRacesRetried } from '../kafka/backoff.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { systemClock } from '../processing/clock.js';
import { createBatchDecider, type BatchDecider } from '../processing/decide-batch.js';
import { createFailureRecorder, type FailureRecorder } from '../processing/record-failure.js';
import { createDecisionStore } from '../store/decision-store.js';
import { createPrismaClient, type PrismaClient } from '../store/prisma-client.js';

export interface Storage {
  /** The consumer's pool: the consumer, the outbox relay, readiness. */
  prisma: PrismaClient;
  /** The HTTP requests' pool. */
  httpPrisma: PrismaClient;
  decideBatch: BatchDecider;
  decideOverHttp: BatchDecider;
  recordFailure: FailureRecorder;
  close(): Promise<void>;
}

/** The two database pools and the use case deciding over each. */
export function openStorage(config: Config, logger: Logger, metrics: Metrics): Storage {
  const maxLifetimeSeconds = config.DATABASE_CONNECTION_MAX_LIFETIME_SECONDS;
  const prisma = createPrismaClient(config.DATABASE_URL, config.DATABASE_POOL_SIZE, { maxLifetimeSeconds });
  // HTTP gets a smaller pool of its own, with statement and lock timeouts: a
  // flood of requests queues for its own connections (and is answered 503)
  // instead of taking those the consumer needs to finish its batches.
  const httpPrisma = createPrismaClient(config.DATABASE_URL, config.HTTP_DATABASE_POOL_SIZE, {
    timeouts: { statementTimeoutMs: config.HTTP_STATEMENT_TIMEOUT_MS, lockTimeoutMs: config.HTTP_LOCK_TIMEOUT_MS },
    maxLifetimeSeconds,
  });
  const transactionTimings = { onTransaction: (seconds: number) => metrics.dbTransactionSeconds.observe(seconds) };
  const store = createDecisionStore(prisma, transactionTimings);
  const deciding = { clock: systemClock, auditEnabled: config.ENABLE_EVENT_AUDIT, eventOrder: config.EVENT_ORDER };
  return {
    prisma,
    httpPrisma,
    decideBatch: createBatchDecider({ store, ...deciding }),
    // The consumer retries through its own policy (src/kafka/partition-worker.ts); a request only its lost races:
    // an outage is answered 503 at once, for the caller to retry.
    decideOverHttp: withLostRacesRetried(
      createBatchDecider({ store: createDecisionStore(httpPrisma, transactionTimings), ...deciding }),
    ),
    recordFailure: createFailureRecorder({
      store,
      clock: systemClock,
      auditEnabled: config.ENABLE_EVENT_AUDIT,
      onUnrecorded: (decoded, error) =>
        logger.error(
          { err: error, event_id: decoded.eventId, ...decoded.source },
          'could not record a failed event; its outcome is published unrecorded',
        ),
    }),
    async close() {
      await Promise.all([prisma.$disconnect(), httpPrisma.$disconnect()]);
    },
  };
}
