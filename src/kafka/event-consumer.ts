import { recordDecisions } from '../observability/decision-log.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { BatchDecider } from '../processing/decide-batch.js';
import { decideIsolatingFailures } from '../processing/decide-isolating-failures.js';
import { decodeMessage } from '../processing/decode-message.js';
import type { Outcome } from '../processing/outcome.js';
import type { FailureRecorder } from '../processing/record-failure.js';
import { retryUntilDone, StopRequested } from './backoff.js';
import { startLagMonitor } from './lag-monitor.js';
import type { BatchControl, InboundBatch, KafkaClient, OutboundMessage, Publisher, Subscriber } from './kafka-client.js';

export interface EventConsumerOptions {
  kafka: KafkaClient;
  publisher: Publisher;
  decideBatch: BatchDecider;
  recordFailure: FailureRecorder;
  isPermanentFailure(error: unknown): boolean;
  /** Attempts at an event that fails permanently before it is given up as PROCESSING_FAILED. */
  maxAttempts: number;
  logger: Logger;
  metrics: Metrics;
  groupId: string;
  eventsTopic: string;
  outcomesTopic: string;
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
 * order kept within each): decides each chunk in one transaction, publishes
 * its outcomes, and only then commits its offsets. Failures are retried with
 * backoff without moving on, so nothing is skipped and nothing reordered.
 */
export function createEventConsumer(options: EventConsumerOptions): EventConsumer {
  const { logger, metrics } = options;
  let running = false;
  let lastError: string | null = null;
  let stopping = false;
  let assigned: readonly number[] = [];

  const subscriber: Subscriber = options.kafka.createSubscriber({
    groupId: options.groupId,
    topic: options.eventsTopic,
    concurrency: options.concurrency,
    sessionTimeoutMs: options.sessionTimeoutMs,
    onGroupJoin(partitions) {
      running = true;
      assigned = partitions;
      metrics.rebalances.inc();
      logger.info({ partitions }, 'consumer joined its group');
    },
    onCrash(error, willRestart) {
      running = willRestart;
      lastError = error.message;
      logger.error({ err: error, willRestart }, 'consumer crashed');
    },
    onStop() {
      running = false;
    },
  });

  async function handleBatch(batch: InboundBatch, control: BatchControl): Promise<void> {
    const { topic, partition } = batch;
    for (let start = 0; start < batch.messages.length; start += options.maxBatchSize) {
      if (!control.isRunning() || control.isStale()) return;
      const chunk = batch.messages.slice(start, start + options.maxBatchSize);
      const decoded = chunk.map((message) => decodeMessage({ key: message.key, value: message.value, source: { topic, partition, offset: message.offset } }));
      const retry = {
        initialMs: options.retry.initialMs,
        maxMs: options.retry.maxMs,
        shouldContinue: () => control.isRunning() && !control.isStale() && !stopping,
        keepAlive: () => control.heartbeat(),
      };
      const timer = metrics.processingSeconds.startTimer({ source: 'kafka' });
      const outcomes = await decideIsolatingFailures(decoded, {
        decideBatch: options.decideBatch,
        recordFailure: options.recordFailure,
        isPermanent: options.isPermanentFailure,
        maxAttempts: options.maxAttempts,
        retryTransient: (work) =>
          retryUntilDone(work, {
            ...retry,
            retryable: (error) => !options.isPermanentFailure(error),
            onFailure: (error, attempt, delayMs) => {
              metrics.databaseRetries.inc();
              noteFailure('deciding a batch failed; retrying', error, { topic, partition, attempt, delayMs });
            },
          }),
        onPermanentFailure: (message, error, attempt) =>
          logger.error(
            { err: error, topic, partition, attempt, event_id: message?.eventId, offset: message?.source?.offset },
            message ? 'an event failed permanently' : 'a batch failed permanently; deciding its events one by one',
          ),
      });
      timer();
      await retryUntilDone(() => options.publisher.send(options.outcomesTopic, outcomes.map(toOutboundMessage)), {
        ...retry,
        onFailure: (error, attempt, delayMs) => {
          metrics.outcomePublishFailures.inc();
          noteFailure('publishing outcomes failed; retrying', error, { topic, partition, attempt, delayMs });
        },
      });
      const lastOffset = chunk[chunk.length - 1]!.offset;
      await control.commitThrough(lastOffset);
      lastError = null;
      record(outcomes, batch, lastOffset);
    }
  }

  function noteFailure(message: string, error: unknown, fields: Record<string, unknown>): void {
    lastError = error instanceof Error ? error.message : String(error);
    logger.warn({ err: error, ...fields }, message);
  }

  function record(outcomes: Outcome[], batch: InboundBatch, lastOffset: string): void {
    metrics.batchSize.observe(outcomes.length);
    metrics.consumerLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(lastOffset) - 1n)),
    );
    recordDecisions(logger, metrics, outcomes.map((outcome) => outcome.message));
  }

  let lagMonitor: { stop(): void } | undefined;

  return {
    async start() {
      lagMonitor = startLagMonitor({
        kafka: options.kafka,
        groupId: options.groupId,
        topic: options.eventsTopic,
        intervalMs: options.lagSampleIntervalMs,
        assigned: () => assigned,
        report: (partition, lag) => metrics.consumerLag.set({ topic: options.eventsTopic, partition: String(partition) }, lag),
        forget: (partition) => metrics.consumerLag.remove({ topic: options.eventsTopic, partition: String(partition) }),
        onError: (error) => logger.debug({ err: error }, 'could not sample consumer lag'),
      });
      await subscriber.start(async (batch, control) => {
        try {
          await handleBatch(batch, control);
        } catch (error) {
          // Stopping or losing the partition mid-batch: what is not committed is redelivered.
          if (error instanceof StopRequested) return;
          throw error;
        }
      });
    },
    async stop() {
      stopping = true;
      lagMonitor?.stop();
      await subscriber.stop();
      running = false;
    },
    status: () => ({ running, healthy: running && lastError === null, lastError }),
  };
}

/** An outcome as a Kafka message: keyed by contract, `event-id` header. */
export function toOutboundMessage({ key, message }: Outcome): OutboundMessage {
  return { key, value: JSON.stringify(message), headers: { 'event-id': message.event_id, 'content-type': 'application/json' } };
}
