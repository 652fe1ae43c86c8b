import type { Tracer } from '@opentelemetry/api';
import { UnexpectedFailure } from '../errors.js';
import { recordDecisions } from '../observability/decision-log.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { BatchDecider } from '../processing/decide-batch.js';
import { decideIsolatingFailures } from '../processing/decide-isolating-failures.js';
import { decodeIsolatingBugs } from '../processing/decode-isolating-bugs.js';
import type { DecodedMessage } from '../processing/decoded-message.js';
import type { Outcome } from '../processing/outcome.js';
import type { FailureRecorder } from '../processing/record-failure.js';
import { retryUntilDone, StopRequested, type RetryOptions } from './backoff.js';
import { AppendTimes } from './append-times.js';
import { inChunkSpan, type ChunkSpan } from './chunk-span.js';
import { startLagMonitor } from './lag-monitor.js';
import type { TracedOutcome } from './outcome-message.js';
import { traceOutcomes } from './outcome-traces.js';
import type { BatchControl, InboundBatch, InboundMessage, KafkaClient, Subscriber } from './port.js';
import type { OutcomeDelivery } from './outcome-delivery.js';

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
  /** Partitions this instance has fenced their previous owner for since it last joined. */
  let claimed = new Set<number>();
  /** Counts group joins: a batch handed out before the last join must not go on once it is over. */
  let generation = 0;
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
      claimed = new Set();
      generation += 1;
      // A crash that rejoining has mended is over; readiness must not wait for traffic to say so.
      lastError = null;
      metrics.rebalances.inc();
      logger.info({ partitions }, 'consumer joined its group');
      delivery.release(partitions).catch((error: unknown) => logger.warn({ err: error }, 'could not close the producer of a revoked partition'));
    },
    onCrash(error, willRestart) {
      running = willRestart;
      lastError = error.message;
      if (willRestart) logger.error({ err: error }, 'consumer crashed; rejoining');
      else logger.fatal({ err: error }, 'consumer stopped: a failure that retrying cannot fix; see the error, fix it and restart');
    },
    onStop() {
      running = false;
    },
  });

  async function handleBatch(batch: InboundBatch, control: BatchControl): Promise<void> {
    const { topic, partition } = batch;
    const joinedAs = generation;
    const current = () => control.isRunning() && !control.isStale() && !stopping && generation === joinedAs;
    const retry = {
      initialMs: options.retry.initialMs,
      maxMs: options.retry.maxMs,
      shouldContinue: current,
      keepAlive: () => control.heartbeat(),
    };
    const retryPublishing = <T>(work: () => Promise<T>, span?: ChunkSpan) =>
      retryUntilDone(work, {
        ...retry,
        unexpectedAttempts: options.maxAttempts,
        onFailure: (error, attempt, delayMs) => {
          metrics.outcomePublishFailures.inc();
          span?.retried(error, attempt, delayMs);
          noteFailure('publishing outcomes failed; retrying', error, { topic, partition, attempt, delayMs });
        },
      });
    let messages = batch.messages;
    if (!claimed.has(partition)) {
      const committed = await retryPublishing(() => delivery.claim(partition));
      claimed.add(partition);
      messages = skipFinished(partition, messages, committed, control);
    }
    for (let start = 0; start < messages.length; start += options.maxBatchSize) {
      if (!current()) return;
      const chunk = messages.slice(start, start + options.maxBatchSize);
      await inChunkSpan(options.tracer, { topic, partition, groupId: options.groupId, messages: chunk }, async (span) => {
        const decoded = chunk.map((message) =>
          decodeIsolatingBugs({ key: message.key, value: message.value, source: { transport: 'kafka', topic, partition, offset: message.offset } }, (error) =>
            logger.error({ err: error, topic, partition, offset: message.offset }, 'a message could not be decoded (a bug); answered PROCESSING_FAILED'),
          ),
        );
        const timer = metrics.processingSeconds.startTimer({ source: 'kafka' });
        const decided = await span.deciding(() => decideChunk(decoded, retry, { topic, partition }, span));
        timer();
        span.decided(decided.map((outcome) => outcome.message.status));
        const lastOffset = chunk[chunk.length - 1]!.offset;
        // Tracing the outcomes is part of publishing them: a bug in it, as in serialising them,
        // is retried a bounded number of times and then stops the consumer, never loops.
        const outcomes = await span.sending({ topic: delivery.outcomesTopic, count: decided.length, delivery: delivery.mode }, () =>
          retryPublishing(async () => {
            const traced = traceOutcomes(decided, chunk, decoded);
            await delivery.deliver(partition, traced, lastOffset, control);
            return traced;
          }, span),
        );
        lastError = null;
        record(outcomes, batch, lastOffset);
      });
    }
  }

  /** Decides a chunk's messages in one transaction, retrying what is transient and isolating what fails for good. */
  function decideChunk(
    decoded: DecodedMessage[],
    retry: Omit<RetryOptions, 'onFailure' | 'unexpectedAttempts'>,
    { topic, partition }: { topic: string; partition: number },
    span: ChunkSpan,
  ): Promise<Outcome[]> {
    return decideIsolatingFailures(decoded, {
      decideBatch: options.decideBatch,
      recordFailure: options.recordFailure,
      maxAttempts: options.maxAttempts,
      retryTransient: (work) =>
        retryUntilDone(work, {
          ...retry,
          unexpectedAttempts: options.maxAttempts,
          onFailure: (error, attempt, delayMs) => {
            metrics.databaseRetries.inc();
            span.retried(error, attempt, delayMs);
            noteFailure('deciding a batch failed; retrying', error, { topic, partition, attempt, delayMs });
          },
        }),
      onPermanentFailure: (message, error, attempt) => {
        const how = error instanceof UnexpectedFailure ? 'with an unexpected error' : 'permanently';
        logger.error(
          { err: error, topic, partition, attempt, event_id: message?.eventId, offset: message?.source.transport === 'kafka' ? message.source.offset : undefined },
          message ? `an event failed ${how}` : `a batch failed ${how}; deciding its events one by one`,
        );
      },
    });
  }

  /** Drops the messages a previous owner of the partition finished after our position was fetched. */
  function skipFinished(partition: number, messages: InboundMessage[], committed: bigint, control: BatchControl): InboundMessage[] {
    const firstOpen = messages.findIndex((message) => BigInt(message.offset) >= committed);
    if (firstOpen === 0) return messages;
    const finished = firstOpen === -1 ? messages : messages.slice(0, firstOpen);
    control.resolveThrough(finished[finished.length - 1]!.offset);
    logger.info({ partition, skipped: finished.length }, 'skipped messages the previous owner of the partition had finished');
    return firstOpen === -1 ? [] : messages.slice(firstOpen);
  }

  function noteFailure(message: string, error: unknown, fields: Record<string, unknown>): void {
    lastError = error instanceof Error ? error.message : String(error);
    logger.warn({ err: error, ...fields }, message);
  }

  function record(outcomes: TracedOutcome[], batch: InboundBatch, lastOffset: string): void {
    metrics.batchSize.observe(outcomes.length);
    const labels = { topic: batch.topic, partition: String(batch.partition) };
    const next = BigInt(lastOffset) + 1n;
    const now = Date.now();
    // The batch's high watermark is a sighting of the end offset as good as a sample's.
    appendTimes.observe(batch.partition, BigInt(batch.highWatermark), now);
    metrics.consumerLag.set(labels, Math.max(0, Number(BigInt(batch.highWatermark) - next)));
    metrics.consumerLagSeconds.set(labels, appendTimes.secondsBehind(batch.partition, next, now));
    recordDecisions(logger, metrics, outcomes);
  }

  /** When each owned partition's end offset was seen to move: the lag in seconds comes from it. */
  const appendTimes = new AppendTimes();

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
        const turn = previous.then(() => handleBatch(batch, control));
        partitionTurns.set(batch.partition, turn.catch(() => undefined));
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
