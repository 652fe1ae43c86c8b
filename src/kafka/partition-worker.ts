import type { BatchDecider } from '../processing/decide-batch.js';
import { decideIsolatingFailures } from '../processing/decide-isolating-failures.js';
import { decodeIsolatingBugs } from '../processing/decode-isolating-bugs.js';
import type { FailureRecorder } from '../processing/record-failure.js';
import { retryUntilDone } from './backoff.js';
import type { OutcomeDelivery } from './outcome-delivery.js';
import { traceOutcomes } from './outcome-traces.js';
import type { BatchControl, InboundBatch, InboundMessage } from './port.js';
import type { ChunkHooks, RetriedStep, WorkerHooks } from './worker-hooks.js';

export interface PartitionWorkerOptions {
  topic: string;
  partition: number;
  delivery: OutcomeDelivery;
  decideBatch: BatchDecider;
  recordFailure: FailureRecorder;
  /** Attempts at work that fails unexpectedly (an event, a publication) before it is given up. */
  maxAttempts: number;
  maxBatchSize: number;
  retry: { initialMs: number; maxMs: number };
  /** False once the group join this worker was made for is over, or the consumer stops. */
  stillOurs(): boolean;
  hooks: WorkerHooks;
  /** Told of every failed attempt and of every chunk done, for the consumer's health. */
  health: { failing(error: unknown): void; working(): void };
}

/**
 * The work on one assigned partition for one group join: fences the previous
 * owner once, skips what it finished, and takes each chunk through decode →
 * decide → deliver. Every step runs under one retry policy: retriable failures
 * are retried with backoff without moving on, unclassified ones `maxAttempts`
 * times, and retrying ends (StopRequested) once the partition is no longer ours.
 */
export class PartitionWorker {
  private claimed = false;

  constructor(private readonly options: PartitionWorkerOptions) {}

  async work(batch: InboundBatch, control: BatchControl): Promise<void> {
    const { delivery, maxBatchSize, hooks } = this.options;
    const current = () => control.isRunning() && !control.isStale() && this.options.stillOurs();
    let messages = batch.messages;
    if (!this.claimed) {
      const committed = await this.retrying('claim', () => delivery.claim(this.options.partition), control, current);
      this.claimed = true;
      messages = this.skipFinished(messages, committed, control);
    }
    for (let start = 0; start < messages.length; start += maxBatchSize) {
      if (!current()) return;
      const chunk = messages.slice(start, start + maxBatchSize);
      await hooks.chunk(chunk, batch.highWatermark, (chunkHooks) => this.answer(chunk, control, current, chunkHooks));
    }
  }

  /** Decodes, decides and delivers one chunk. */
  private async answer(
    chunk: InboundMessage[],
    control: BatchControl,
    current: () => boolean,
    hooks: ChunkHooks,
  ): Promise<void> {
    const { topic, partition, delivery } = this.options;
    const decoded = chunk.map((message) =>
      decodeIsolatingBugs(
        {
          key: message.key,
          value: message.value,
          source: { transport: 'kafka', topic, partition, offset: message.offset },
        },
        (error) => hooks.undecodable(message.offset, error),
      ),
    );
    const decided = await hooks.deciding(() =>
      decideIsolatingFailures(decoded, {
        decideBatch: this.options.decideBatch,
        recordFailure: this.options.recordFailure,
        maxAttempts: this.options.maxAttempts,
        retryTransient: (work) => this.retrying('decide', work, control, current, hooks),
        onPermanentFailure: hooks.failed,
      }),
    );
    hooks.decided(decided);
    const lastOffset = chunk[chunk.length - 1]!.offset;
    // Tracing the outcomes is part of publishing them: a bug in it, as in serialising them,
    // is retried a bounded number of times and then stops the consumer, never loops.
    const outcomes = await hooks.publishing(decided.length, () =>
      this.retrying(
        'publish',
        async () => {
          const traced = traceOutcomes(decided, chunk, decoded);
          await delivery.deliver(partition, traced, lastOffset, control);
          return traced;
        },
        control,
        current,
        hooks,
      ),
    );
    this.options.health.working();
    hooks.answered(outcomes);
  }

  /** The one retry policy of every step, its failed attempts noted on `hooks` (the chunk's, once there is one). */
  private retrying<T>(
    step: RetriedStep,
    work: () => Promise<T>,
    control: BatchControl,
    current: () => boolean,
    hooks: Pick<WorkerHooks, 'retried'> = this.options.hooks,
  ): Promise<T> {
    return retryUntilDone(work, {
      ...this.options.retry,
      shouldContinue: current,
      keepAlive: () => control.heartbeat(),
      unexpectedAttempts: this.options.maxAttempts,
      onFailure: (error, attempt, delayMs) => {
        hooks.retried(step, error, attempt, delayMs);
        this.options.health.failing(error);
      },
    });
  }

  /** Drops the messages a previous owner of the partition finished after our position was fetched. */
  private skipFinished(messages: InboundMessage[], committed: bigint, control: BatchControl): InboundMessage[] {
    const firstOpen = messages.findIndex((message) => BigInt(message.offset) >= committed);
    if (firstOpen === 0) return messages;
    const finished = firstOpen === -1 ? messages : messages.slice(0, firstOpen);
    control.resolveThrough(finished[finished.length - 1]!.offset);
    this.options.hooks.skipped(finished.length);
    return firstOpen === -1 ? [] : messages.slice(firstOpen);
  }
}
