import { describe, expect, it } from 'vitest';
import { DatabaseError, LostRace, UnexpectedFailure } from '../../../src/errors.js';
import {
  backoffDelay,
  RACE_ATTEMPTS,
  retryUntilDone,
  StopRequested,
  withLostRacesRetried,
} from '../../../src/kafka/backoff.js';

describe('backoffDelay', () => {
  it('grows exponentially and stays within the cap', () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 10, 100].map((attempt) => backoffDelay(attempt, 100, 5_000, top))).toEqual([
      100, 200, 400, 800, 5_000, 5_000,
    ]);
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
    unexpectedAttempts: Number.POSITIVE_INFINITY,
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

  /** Work that fails with each of `failures` in turn, then succeeds; counts its calls. */
  const failingWith = (...failures: unknown[]) => {
    const work = async () => {
      work.calls += 1;
      if (work.calls <= failures.length) throw failures[work.calls - 1];
      return 'done';
    };
    work.calls = 0;
    return work;
  };
  const outage = () => new DatabaseError('connection refused', '08006', 'retriable');

  it('gives an unclassified failure up after its attempts, as a permanent UnexpectedFailure with the cause', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    const work = failingWith(bug, bug, bug, bug);
    const failure = await retryUntilDone(work, options({ unexpectedAttempts: 3 })).catch((error: unknown) => error);
    expect(work.calls).toBe(3);
    expect(failure).toBeInstanceOf(UnexpectedFailure);
    expect(failure).toMatchObject({ retriable: false, attempts: 3, cause: bug });
  });

  it('retries an unclassified failure that passes, and counts only unclassified failures against the bound', async () => {
    const work = failingWith(new Error('odd'), outage(), outage(), outage(), new Error('odd'));
    expect(await retryUntilDone(work, options({ unexpectedAttempts: 3 }))).toBe('done');
    expect(work.calls).toBe(6);
  });

  it('throws a permanent failure at once', async () => {
    const constraint = new DatabaseError('violates check constraint', '23514', 'permanent');
    const work = failingWith(constraint);
    await expect(retryUntilDone(work, options())).rejects.toBe(constraint);
    expect(work.calls).toBe(1);
  });

  it('runs work that lost a race again at once, without a failure to report or a wait', async () => {
    const work = failingWith(new Race(), new Race());
    const failures: unknown[] = [];
    const result = retryUntilDone(
      work,
      options({ initialMs: 60_000, maxMs: 60_000, onFailure: (e) => failures.push(e) }),
    );
    expect(await result).toBe('done');
    expect(work.calls).toBe(3);
    expect(failures).toEqual([]);
  });

  it('ends a wait between attempts as soon as its signal aborts', async () => {
    const stop = new AbortController();
    const work = failingWith(outage());
    const startedAt = Date.now();
    const result = await retryUntilDone(
      work,
      options({
        initialMs: 60_000,
        maxMs: 60_000,
        signal: stop.signal,
        onFailure: () => void setTimeout(() => stop.abort(), 10),
      }),
    );
    expect(result).toBe('done');
    // Waiting on would take at least the wait's first second.
    expect(Date.now() - startedAt).toBeLessThan(500);
  });
});

class Race extends LostRace {
  override name = 'Race';
}

describe('withLostRacesRetried', () => {
  it('runs work again at once while it loses races, 3 attempts in all, then throws the last race', async () => {
    const races = Array.from({ length: RACE_ATTEMPTS }, () => new Race());
    let calls = 0;
    const failure = await withLostRacesRetried(async () => {
      calls += 1;
      throw races[calls - 1];
    })().catch((error: unknown) => error);
    expect(calls).toBe(3);
    expect(failure).toBe(races[2]);
  });

  it('passes its arguments on and throws any other failure at once, an outage included', async () => {
    const outage = new DatabaseError('connection refused', '08006', 'retriable');
    const seen: string[] = [];
    const failure = await withLostRacesRetried(async (text: string) => {
      seen.push(text);
      throw outage;
    })('x').catch((error: unknown) => error);
    expect(failure).toBe(outage);
    expect(seen).toEqual(['x']);
  });
});
