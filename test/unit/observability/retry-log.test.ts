import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { createRetryLog } from '../../../src/observability/retry-log.js';

interface LogLine {
  level: number;
  msg: string;
  attempt?: number;
  recurredSinceLastLine?: number;
}

let lines: LogLine[];
const logger = () => createLogger('info', { write: (chunk: string) => void lines.push(JSON.parse(chunk) as LogLine) });
const summary = () =>
  lines.map(({ level, msg, attempt, recurredSinceLastLine }) => ({ level, msg, attempt, recurredSinceLastLine }));

beforeEach(() => {
  lines = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the start-up retry log', () => {
  it('logs a failure that repeats once, again when it changes, and again after the repeat interval with the count', () => {
    const log = createRetryLog(logger(), { repeatAfterMs: 300_000 });
    const refused = new Error('Connection refused');
    for (let attempt = 1; attempt <= 20; attempt += 1) log('creating Kafka topics', refused, { attempt });
    log('creating Kafka topics', new Error('Connection timeout'), { attempt: 21 });
    log('reading the outcome topic limits', new Error('Connection timeout'), { attempt: 1 });
    vi.advanceTimersByTime(299_999);
    log('reading the outcome topic limits', new Error('Connection timeout'), { attempt: 2 });
    vi.advanceTimersByTime(1);
    log('reading the outcome topic limits', new Error('Connection timeout'), { attempt: 3 });
    expect(summary()).toEqual([
      { level: 40, msg: 'creating Kafka topics failed; retrying', attempt: 1, recurredSinceLastLine: undefined },
      { level: 40, msg: 'creating Kafka topics failed; retrying', attempt: 21, recurredSinceLastLine: undefined },
      {
        level: 40,
        msg: 'reading the outcome topic limits failed; retrying',
        attempt: 1,
        recurredSinceLastLine: undefined,
      },
      { level: 40, msg: 'reading the outcome topic limits failed; retrying', attempt: 3, recurredSinceLastLine: 1 },
    ]);
  });

  it('uses the explanation given for a kind of failure', () => {
    const log = createRetryLog(logger(), {
      repeatAfterMs: 300_000,
      explain: (error) =>
        error instanceof Error && error.message === 'refused'
          ? { level: 'error', message: 'Kafka refused the credentials' }
          : undefined,
    });
    for (let attempt = 1; attempt <= 3; attempt += 1) log('creating Kafka topics', new Error('refused'), { attempt });
    expect(summary()).toEqual([
      { level: 50, msg: 'Kafka refused the credentials', attempt: 1, recurredSinceLastLine: undefined },
    ]);
  });
});
