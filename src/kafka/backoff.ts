import { isRetriable } from '../errors.js';

/** Capped exponential backoff with full jitter, for retries that must not hammer a sick dependency. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.max(initialMs, Math.round(ceiling * random()));
}

export class StopRequested extends Error {
  override name = 'StopRequested';
}

export interface RetryOptions {
  initialMs: number;
  maxMs: number;
  /** Retrying ends (with StopRequested) once this turns false. */
  shouldContinue(): boolean;
  /** Called while waiting, so the consumer group keeps us as a member. */
  keepAlive(): Promise<void>;
  onFailure(error: unknown, attempt: number, delayMs: number): void;
}

/** Runs `work` until it succeeds, waiting longer after each failure. */
export async function retryUntilDone<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      // A failure that repeats on every attempt is the caller's to handle, never a loop.
      if (!isRetriable(error)) throw error;
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
