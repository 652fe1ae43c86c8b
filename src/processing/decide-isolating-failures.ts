import { failureKind, UnexpectedFailure } from '../errors.js';
import type { BatchDecider } from './decide-batch.js';
import type { DecodedMessage } from './decoded-message.js';
import type { Outcome } from './outcome.js';
import type { FailureRecorder } from './record-failure.js';

export interface IsolationOptions {
  decideBatch: BatchDecider;
  recordFailure: FailureRecorder;
  /**
   * Runs `work`, retrying retriable failures as long as it takes and
   * unclassified ones `maxAttempts` times in all, with backoff (then an
   * UnexpectedFailure); rethrows permanent ones at once.
   */
  retryTransient<T>(work: () => Promise<T>): Promise<T>;
  /** Attempts at one message before it is given up as PROCESSING_FAILED. */
  maxAttempts: number;
  onPermanentFailure(message: DecodedMessage | null, error: unknown, attempt: number): void;
}

/**
 * Decides a batch; if it fails with a non-retriable error (an unexpected one
 * included, once retried), decides its messages one by one, in order, so that
 * one poisonous event cannot block its partition forever: after `maxAttempts`
 * it is recorded as failed and the rest go on. Retriable failures (outages)
 * are retried without limit and never skip anything.
 */
export async function decideIsolatingFailures(
  messages: readonly DecodedMessage[],
  options: IsolationOptions,
): Promise<Outcome[]> {
  try {
    return await options.retryTransient(() => options.decideBatch(messages));
  } catch (error) {
    if (failureKind(error) === 'retriable') throw error;
    options.onPermanentFailure(null, error, 1);
  }
  // Each message's outcome in order, then the revisions the messages caused (as deciding them together would).
  const outcomes: Outcome[] = [];
  const revisions: Outcome[] = [];
  for (const message of messages) {
    const [outcome, ...revised] = await decideAlone(message, options);
    outcomes.push(outcome!);
    revisions.push(...revised);
  }
  return [...outcomes, ...revisions];
}

/** The message's outcome, followed by any revision outcomes it caused. */
async function decideAlone(message: DecodedMessage, options: IsolationOptions): Promise<Outcome[]> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.maxAttempts; attempt += 1) {
    try {
      const outcomes = await options.retryTransient(() => options.decideBatch([message]));
      if (outcomes.length > 0) return outcomes;
    } catch (error) {
      if (failureKind(error) === 'retriable') throw error;
      lastError = error;
      options.onPermanentFailure(message, error, attempt);
      // Attempted `maxAttempts` times already, with backoff.
      if (error instanceof UnexpectedFailure) break;
    }
  }
  // The recorder publishes the failure even when it cannot write it down; only an outage, or a bug that keeps
  // even the outcome from being built (an UnexpectedFailure here, which stops the consumer), is thrown.
  return [await options.retryTransient(() => options.recordFailure(message, lastError, options.maxAttempts))];
}
