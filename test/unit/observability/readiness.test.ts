import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { createReadinessCheck, type ReadinessProbes } from '../../../src/observability/readiness.js';

interface LogLine {
  level: number;
  msg: string;
  dependency?: string;
  reason?: string;
}

const WARN = 40;
const INFO = 30;
const up = async () => undefined;
const down = (message: string) => async () => Promise.reject(new Error(message));
const running = () => ({ running: true, healthy: true, lastError: null });

let lines: LogLine[];
const logger = () => createLogger('info', { write: (chunk: string) => void lines.push(JSON.parse(chunk) as LogLine) });
const check = (probes: ReadinessProbes, cacheMs = 1_000) =>
  createReadinessCheck(probes, { logger: logger(), cacheMs, timeoutMs: 5_000 });

beforeEach(() => {
  lines = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('readiness', () => {
  it('is ready when the database and Kafka answer and the consumer runs, and logs nothing then', async () => {
    expect(await check({ pingDatabase: up, pingKafka: up, consumerStatus: running })()).toEqual({
      ready: true,
      checks: { database: 'ok', kafka: 'ok', consumer: 'ok' },
    });
    expect(lines).toEqual([]);
  });

  it.each([
    [
      'the database',
      {
        pingDatabase: down('connect ECONNREFUSED postgresql://svc:s3cret@db:5432/x'),
        pingKafka: up,
        consumerStatus: running,
      },
      'database',
    ],
    ['Kafka', { pingDatabase: up, pingKafka: down('Connection timeout'), consumerStatus: running }, 'kafka'],
    [
      'the consumer',
      { pingDatabase: up, pingKafka: up, consumerStatus: () => ({ running: false, healthy: false, lastError: null }) },
      'consumer',
    ],
    [
      'a retrying consumer',
      {
        pingDatabase: up,
        pingKafka: up,
        consumerStatus: () => ({ running: true, healthy: false, lastError: 'db down' }),
      },
      'consumer',
    ],
  ] as const)(
    'answers only "failing" when %s is not fine; the reason goes to the log',
    async (_name, probes, dependency) => {
      const report = await check(probes)();
      expect(report.ready).toBe(false);
      expect(report.checks).toEqual({ database: 'ok', kafka: 'ok', consumer: 'ok', [dependency]: 'failing' });
      expect(lines).toEqual([expect.objectContaining({ level: WARN, dependency, reason: expect.any(String) })]);
      expect(lines[0]!.reason).not.toContain('s3cret');
    },
  );

  it('counts a ping that does not answer as failing', async () => {
    const report = check({
      pingDatabase: () => new Promise(() => undefined),
      pingKafka: up,
      consumerStatus: running,
    })();
    await vi.advanceTimersByTimeAsync(5_000);
    expect((await report).checks.database).toBe('failing');
    expect(lines[0]).toMatchObject({ dependency: 'database', reason: 'no answer within 5000 ms' });
  });

  it('shares one check among concurrent probes and reuses it for a second', async () => {
    let pings = 0;
    let answer: () => void = () => undefined;
    const pingKafka = () => {
      pings += 1;
      return new Promise<void>((resolve) => (answer = resolve));
    };
    const ready = check({ pingDatabase: up, pingKafka, consumerStatus: running });

    const flood = Array.from({ length: 50 }, () => ready());
    answer();
    const reports = await Promise.all(flood);
    expect(reports.every((report) => report.ready)).toBe(true);
    expect(pings).toBe(1);

    await vi.advanceTimersByTimeAsync(999);
    void ready();
    expect(pings).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const next = ready();
    answer();
    await next;
    expect(pings).toBe(2);
  });

  it('logs a dependency once when it starts failing and once when it recovers, not once per probe', async () => {
    let kafkaUp = false;
    const ready = check(
      { pingDatabase: up, pingKafka: () => (kafkaUp ? up() : down('Connection timeout')()), consumerStatus: running },
      0,
    );
    for (let probe = 0; probe < 5; probe += 1) expect((await ready()).checks.kafka).toBe('failing');
    kafkaUp = true;
    for (let probe = 0; probe < 5; probe += 1) expect((await ready()).checks.kafka).toBe('ok');
    expect(lines.map(({ level, msg, dependency, reason }) => ({ level, msg, dependency, reason }))).toEqual([
      { level: WARN, msg: 'readiness: kafka is failing', dependency: 'kafka', reason: 'Connection timeout' },
      { level: INFO, msg: 'readiness: kafka is ok again', dependency: 'kafka', reason: undefined },
    ]);
  });
});
