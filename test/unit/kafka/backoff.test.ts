import { describe, expect, it } from 'vitest';
import { backoffDelay, retryUntilDone, StopRequested } from '../../../src/kafka/backoff.js';

describe('backoffDelay', () => {
  it('grows exponentially and stays within the cap', () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 10, 100].map((attempt) => backoffDelay(attempt, 100, 5_000, top))).toEqual([100, 200, 400, 800, 5_000, 5_000]);
  });

  it('never waits less than the initial delay', () => {
    expect(backoffDelay(5, 100, 5_000, () => 0)).toBe(100);
  });
});

describe('retryUntilDone', () => {
  const options = (overrides: Partial<Parameters<typeof retryUntilDone>[1]> = {}) => ({
    initialMs: 1,
    maxMs: 2,
    shouldContinue: () => true,
    keepAlive: async () => undefined,
    onFailure: () => undefined,
    ...overrides,
  });

  it('retries until the work succeeds and reports each failure', async () => {
    let calls = 0;
    const failures: number[] = [];
    const result = await retryUntilDone(
      async () => {
        calls += 1;
        if (calls < 4) throw new Error(`fail ${calls}`);
        return 'done';
      },
      options({ onFailure: (_error, attempt) => failures.push(attempt) }),
    );
    expect(result).toBe('done');
    expect(failures).toEqual([1, 2, 3]);
  });

  it('gives up with StopRequested once asked to stop', async () => {
    await expect(
      retryUntilDone(async () => Promise.reject(new Error('down')), options({ shouldContinue: () => false })),
    ).rejects.toBeInstanceOf(StopRequested);
  });
});
