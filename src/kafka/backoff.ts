import { failureKind, ServiceError, UnexpectedFailure } from '../errors.js';

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
}

/** Runs `work` until it succeeds, waiting longer after each failure. */
export async function retryUntilDone<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0, unexpected = 0; ; attempt += 1) {
    try {
      return await work();
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
    if (!options.shouldContinue()) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, deadline - Date.now())));
    await options.keepAlive();
  }
}
