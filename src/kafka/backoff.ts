import { setTimeout as sleep } from 'node:timers/promises';
import { failureKind, LostRace, ServiceError, UnexpectedFailure } from '../errors.js';

// The one retry policy: what is retried, how often and how long apart, for the
// consumer's steps, the outbox relay, start-up, and (lost races only) HTTP.

/** Capped exponential backoff with full jitter, for retries that must not hammer a sick dependency. */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.max(initialMs, Math.round(ceiling * random()));
}

/** Retrying ended because the work is no longer ours to do (stopping, a lost partition): whoever goes on does it again. */
export class StopRequested extends ServiceError {
  override name = 'StopRequested';
  // Never a reason to give anything up: the work is redone, not skipped.
  readonly retriable = true;
}

export interface RetryOptions {
  initialMs: number;
  maxMs: number;
  /** Retrying ends (with StopRequested) once this turns false. */
  shouldContinue(): boolean;
  /** Called while waiting, so the consumer group keeps us as a member. */
  keepAlive(): Promise<void>;
  onFailure(error: unknown, attempt: number, delayMs: number): void;
  /**
   * Attempts at work that fails with an error nobody classified before it is
   * given up as an UnexpectedFailure; Infinity waits it out like an outage.
   */
  unexpectedAttempts: number;
  /** Ends a wait between attempts early (a stop); shouldContinue then decides whether to go on. */
  signal?: AbortSignal;
}

/**
 * Attempts at work that lost a race to another writer before that counts as a
 * failure like any other: each attempt re-reads what the winner wrote, so the
 * second nearly always succeeds.
 */
export const RACE_ATTEMPTS = 3;

/**
 * `work`, run again at once when it lost a race (a LostRace), RACE_ATTEMPTS
 * times in all; any other failure is thrown as it is, for the caller's policy
 * (retryUntilDone; over HTTP, an answer: 503 for an outage).
 */
export function withLostRacesRetried<A extends unknown[], T>(
  work: (...args: A) => Promise<T>,
): (...args: A) => Promise<T> {
  return async (...args) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await work(...args);
      } catch (error) {
        if (!(error instanceof LostRace) || attempt >= RACE_ATTEMPTS) throw error;
      }
    }
  };
}

/** Runs `work` until it succeeds, waiting longer after each failure (a lost race is first run again at once). */
export async function retryUntilDone<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  const attemptOnce = withLostRacesRetried(work);
  for (let attempt = 0, unexpected = 0; ; attempt += 1) {
    try {
      return await attemptOnce();
    } catch (error) {
      const kind = failureKind(error);
      // A failure that repeats on every attempt is the caller's to handle, never a loop.
      if (kind === 'permanent') throw error;
      if (kind === 'unclassified' && ++unexpected >= options.unexpectedAttempts)
        throw new UnexpectedFailure(error, unexpected);
      if (!options.shouldContinue()) throw new StopRequested('Stopped while retrying', { cause: error });
      const delayMs = backoffDelay(attempt, options.initialMs, options.maxMs);
      options.onFailure(error, attempt + 1, delayMs);
      await waitKeepingAlive(delayMs, options);
    }
  }
}

async function waitKeepingAlive(delayMs: number, options: RetryOptions): Promise<void> {
  const deadline = Date.now() + delayMs;
  while (Date.now() < deadline) {
    if (!options.shouldContinue() || options.signal?.aborted) return;
    await sleep(Math.min(1_000, deadline - Date.now()), undefined, { signal: options.signal }).catch(() => undefined);
    await options.keepAlive();
  }
}
