import type { Tracer } from '@opentelemetry/api';
import { UnexpectedFailure } from '../errors.js';
import { createDecisionHooks, type DecisionHooks } from '../observability/decision-hooks.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { DecodedMessage } from '../processing/decoded-message.js';
import type { Outcome } from '../processing/outcome.js';
import type { AppendTimes } from './append-times.js';
import { inChunkSpan, type ChunkSpan } from './chunk-span.js';
import type { TracedOutcome } from './outcome-message.js';
import type { InboundMessage } from './port.js';

/** A step of the partition worker that is retried: fencing the previous owner, deciding, publishing. */
export type RetriedStep = 'claim' | 'decide' | 'publish';

/** The observable steps of one partition's work: metrics, logs and spans attach here. */
export interface WorkerHooks {
  retried(step: RetriedStep, error: unknown, attempt: number, delayMs: number): void;
  /** Messages the previous owner had finished were dropped. */
  skipped(count: number): void;
  /** Runs the work on one chunk (a span of its own), with the hooks of its steps. */
  chunk<T>(
    messages: readonly InboundMessage[],
    highWatermark: string,
    work: (hooks: ChunkHooks) => Promise<T>,
  ): Promise<T>;
}

/** The steps of one chunk: decode → decide → publish, and its retries noted on the step in progress. */
export interface ChunkHooks extends DecisionHooks {
  undecodable(offset: string, error: unknown): void;
  /** An attempt at the chunk (message null) or at one of its events failed for good or unexpectedly. */
  failed(message: DecodedMessage | null, error: unknown, attempt: number): void;
  decided(outcomes: readonly Outcome[]): void;
  publishing<T>(count: number, work: () => Promise<T>): Promise<T>;
  retried(step: RetriedStep, error: unknown, attempt: number, delayMs: number): void;
  answered(outcomes: readonly TracedOutcome[]): void;
}

export interface WorkerHookOptions {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  groupId: string;
  topic: string;
  outcomesTopic: string;
  deliveryMode: string;
  /** When each owned partition's end offset was seen to move: the lag in seconds comes from it. */
  appendTimes: AppendTimes;
}

const RETRY_LINES: Record<RetriedStep, string> = {
  claim: 'publishing outcomes failed; retrying',
  decide: 'deciding a batch failed; retrying',
  publish: 'publishing outcomes failed; retrying',
};

/** The worker's hooks for `partition`, with metrics, logs and spans. */
export function createWorkerHooks(options: WorkerHookOptions, partition: number): WorkerHooks {
  const { logger, metrics, tracer, groupId, topic, appendTimes } = options;
  const retried = (step: RetriedStep, error: unknown, attempt: number, delayMs: number, span?: ChunkSpan) => {
    (step === 'decide' ? metrics.databaseRetries : metrics.outcomePublishFailures).inc();
    span?.retried(error, attempt, delayMs);
    logger.warn({ err: error, topic, partition, attempt, delayMs }, RETRY_LINES[step]);
  };
  /** Times a stage that succeeds; a stage given up (stopping, losing the partition) leaves no sample. */
  const timedStage = async <T>(stage: ChunkStage, work: () => Promise<T>): Promise<T> => {
    const done = metrics.chunkStageSeconds.startTimer({ stage });
    const result = await work();
    done();
    return result;
  };
  const chunkHooks = (span: ChunkSpan, messages: readonly InboundMessage[], highWatermark: string): ChunkHooks => {
    const decision = createDecisionHooks({ logger, metrics, source: 'kafka', traceDeciding: span.deciding });
    return {
      undecodable: (offset, error) =>
        logger.error(
          { err: error, topic, partition, offset },
          'a message could not be decoded (a bug); answered PROCESSING_FAILED',
        ),
      failed(message, error, attempt) {
        const how = error instanceof UnexpectedFailure ? 'with an unexpected error' : 'permanently';
        logger.error(
          {
            err: error,
            topic,
            partition,
            attempt,
            event_id: message?.eventId,
            offset: message?.source.transport === 'kafka' ? message.source.offset : undefined,
          },
          message ? `an event failed ${how}` : `a batch failed ${how}; deciding its events one by one`,
        );
      },
      deciding: (work) => timedStage('deciding', () => decision.deciding(work)),
      decided: (outcomes) => span.decided(outcomes.map((outcome) => outcome.message.status)),
      publishing: (count, work) =>
        timedStage('publishing', () =>
          span.sending({ topic: options.outcomesTopic, count, delivery: options.deliveryMode }, work),
        ),
      retried: (step, error, attempt, delayMs) => retried(step, error, attempt, delayMs, span),
      answered(outcomes) {
        metrics.batchSize.observe(outcomes.length);
        const labels = { topic, partition: String(partition) };
        const next = BigInt(messages.at(-1)!.offset) + 1n;
        const now = Date.now();
        // The batch's high watermark is a sighting of the end offset as good as a sample's.
        appendTimes.observe(partition, BigInt(highWatermark), now);
        metrics.consumerLag.set(labels, Math.max(0, Number(BigInt(highWatermark) - next)));
        metrics.consumerLagSeconds.set(labels, appendTimes.secondsBehind(partition, next, now));
        decision.answered(outcomes);
      },
    };
  };
  return {
    retried,
    skipped: (count) =>
      logger.info({ partition, skipped: count }, 'skipped messages the previous owner of the partition had finished'),
    chunk: (messages, highWatermark, work) => {
      const waited = secondsWaiting(messages[0], Date.now());
      if (waited !== null) metrics.chunkStageSeconds.observe({ stage: 'waiting' }, waited);
      return inChunkSpan(tracer, { topic, partition, groupId, messages }, (span) =>
        work(chunkHooks(span, messages, highWatermark)),
      );
    },
  };
}

/** The stages of `contract_events_chunk_stage_seconds`, in the order a chunk goes through them. */
export type ChunkStage = 'waiting' | 'deciding' | 'publishing';

/** How long the chunk's first message waited, from its timestamp until work on the chunk starts; null without one. */
export function secondsWaiting(first: InboundMessage | undefined, now: number): number | null {
  if (first?.timestamp === undefined) return null;
  const produced = Number(first.timestamp);
  if (!Number.isFinite(produced)) return null;
  // A producer's clock ahead of ours would make it negative: count that as no wait.
  return Math.max(0, now - produced) / 1000;
}
