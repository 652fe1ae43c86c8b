import type { Tracer } from '@opentelemetry/api';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { BatchDecider } from '../processing/decide-batch.js';
import type { FailureRecorder } from '../processing/record-failure.js';
import { StopRequested } from './backoff.js';
import { AppendTimes } from './append-times.js';
import { startLagMonitor } from './lag-monitor.js';
import type { KafkaClient, Subscriber } from './port.js';
import type { OutcomeDelivery } from './outcome-delivery.js';
import { PartitionWorker } from './partition-worker.js';
import { createWorkerHooks } from './worker-hooks.js';

export interface EventConsumerOptions {
  kafka: KafkaClient;
  delivery: OutcomeDelivery;
  decideBatch: BatchDecider;
  recordFailure: FailureRecorder;
  /**
   * Attempts at an event that fails permanently or unexpectedly before it is
   * given up as PROCESSING_FAILED; also the attempts at publishing a chunk
   * that fails unexpectedly before the consumer stops on it.
   */
  maxAttempts: number;
  logger: Logger;
  metrics: Metrics;
  /** One span per chunk goes to it (a tracer that records nothing when tracing is off). */
  tracer: Tracer;
  groupId: string;
  eventsTopic: string;
  concurrency: number;
  sessionTimeoutMs: number;
  lagSampleIntervalMs: number;
  maxBatchSize: number;
  retry: { initialMs: number; maxMs: number };
}

export interface EventConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Whether the consumer is in its group and its last attempt at its work succeeded. */
  status(): { running: boolean; healthy: boolean; lastError: string | null };
}

/**
 * Consumes the events topic partition by partition (partitions in parallel,
 * order kept within each): decides each chunk in one database transaction,
 * then publishes its outcomes and commits its offsets (in one Kafka
 * transaction by default). Retriable failures are retried with backoff
 * without moving on, so nothing is skipped and nothing reordered; an
 * unexpected one (a bug) is retried `maxAttempts` times; a non-retriable one
 * isolates the event that causes it while deciding and stops the consumer
 * while publishing (the decisions are recorded by then: they are published
 * from the ledger once it runs again) rather than loop.
 */
export function createEventConsumer(options: EventConsumerOptions): EventConsumer {
  const { logger, metrics, delivery } = options;
  let running = false;
  let lastError: string | null = null;
  let stopping = false;
  let assigned: readonly number[] = [];
  /** Counts group joins: a batch handed out before the last join must not go on once it is over. */
  let generation = 0;
  /** The worker of each partition for the current group join; a join starts them afresh (fencing again). */
  let workers = new Map<number, PartitionWorker>();
  /** The handler at work on each partition: kafkajs may hand out a partition's next batch after a rejoin while the last one still runs. */
  const partitionTurns = new Map<number, Promise<void>>();

  const subscriber: Subscriber = options.kafka.createSubscriber({
    groupId: options.groupId,
    topic: options.eventsTopic,
    concurrency: options.concurrency,
    sessionTimeoutMs: options.sessionTimeoutMs,
    autoCommit: delivery.mode === 'at-least-once',
    onGroupJoin(partitions) {
      running = true;
      assigned = partitions;
      workers = new Map();
      generation += 1;
      // A crash that rejoining has mended is over; readiness must not wait for traffic to say so.
      lastError = null;
      metrics.rebalances.inc();
      logger.info({ partitions }, 'consumer joined its group');
      delivery
        .release(partitions)
        .catch((error: unknown) => logger.warn({ err: error }, 'could not close the producer of a revoked partition'));
    },
    onCrash(error, willRestart) {
      running = willRestart;
      lastError = error.message;
      if (willRestart) logger.error({ err: error }, 'consumer crashed; rejoining');
      else
        logger.fatal(
          { err: error },
          'consumer stopped: a failure that retrying cannot fix; see the error, fix it and restart',
        );
    },
    onStop() {
      running = false;
    },
  });

  const workerFor = (partition: number): PartitionWorker => {
    let worker = workers.get(partition);
    if (!worker) {
      const joinedAs = generation;
      worker = new PartitionWorker({
        topic: options.eventsTopic,
        partition,
        delivery,
        decideBatch: options.decideBatch,
        recordFailure: options.recordFailure,
        maxAttempts: options.maxAttempts,
        maxBatchSize: options.maxBatchSize,
        retry: options.retry,
        stillOurs: () => !stopping && generation === joinedAs,
        hooks: createWorkerHooks(hookOptions, partition),
        health,
      });
      workers.set(partition, worker);
    }
    return worker;
  };
  const health = {
    failing: (error: unknown) => {
      lastError = error instanceof Error ? error.message : String(error);
    },
    working: () => {
      lastError = null;
    },
  };

  /** When each owned partition's end offset was seen to move: the lag in seconds comes from it. */
  const appendTimes = new AppendTimes();
  const hookOptions = {
    logger,
    metrics,
    tracer: options.tracer,
    groupId: options.groupId,
    topic: options.eventsTopic,
    outcomesTopic: delivery.outcomesTopic,
    deliveryMode: delivery.mode,
    appendTimes,
  };

  let lagMonitor: { stop(): void } | undefined;

  return {
    async start() {
      lagMonitor = startLagMonitor({
        kafka: options.kafka,
        groupId: options.groupId,
        topic: options.eventsTopic,
        intervalMs: options.lagSampleIntervalMs,
        assigned: () => assigned,
        appendTimes,
        report: (partition, lag, lagSeconds) => {
          const labels = { topic: options.eventsTopic, partition: String(partition) };
          metrics.consumerLag.set(labels, lag);
          metrics.consumerLagSeconds.set(labels, lagSeconds);
        },
        forget: (partition) => {
          const labels = { topic: options.eventsTopic, partition: String(partition) };
          metrics.consumerLag.remove(labels);
          metrics.consumerLagSeconds.remove(labels);
        },
        onError: (error) => logger.debug({ err: error }, 'could not sample consumer lag'),
      });
      await subscriber.start(async (batch, control) => {
        // One handler per partition at a time, so a new owner's view of what is committed is final.
        const previous = partitionTurns.get(batch.partition) ?? Promise.resolve();
        const turn = previous.then(() => workerFor(batch.partition).work(batch, control));
        partitionTurns.set(
          batch.partition,
          turn.catch(() => undefined),
        );
        try {
          await turn;
        } catch (error) {
          // Stopping, losing the partition or a rejoin mid-batch: what is not committed is redelivered.
          if (error instanceof StopRequested) return;
          throw error;
        }
      });
    },
    async stop() {
      stopping = true;
      lagMonitor?.stop();
      await subscriber.stop();
      await delivery.close();
      running = false;
    },
    status: () => ({ running, healthy: running && lastError === null, lastError }),
  };
}
