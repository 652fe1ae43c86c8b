import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppendTimes } from '../../../src/kafka/append-times.js';
import { startLagMonitor } from '../../../src/kafka/lag-monitor.js';

// The sampler against a stub broker and a fake clock: lag in messages and in
// seconds, for the partitions owned only.

afterEach(() => vi.useRealTimers());

describe('lag monitor', () => {
  it('reports lag in messages and seconds on every sample, and forgets partitions it no longer owns', async () => {
    vi.useFakeTimers({ now: 0 });
    const broker = {
      end: new Map([
        [0, 100n],
        [1, 50n],
      ]),
      committed: new Map([
        [0, 100n],
        [1, 50n],
      ]),
    };
    let assigned = [0, 1];
    const reports: string[] = [];
    const monitor = startLagMonitor({
      kafka: { endOffsets: async () => new Map(broker.end), committedOffsets: async () => new Map(broker.committed) },
      groupId: 'g',
      topic: 't',
      intervalMs: 10_000,
      assigned: () => assigned,
      appendTimes: new AppendTimes(),
      report: (partition, lag, seconds) => reports.push(`${Date.now() / 1000}s p${partition} ${lag} ${seconds}s`),
      forget: (partition) => reports.push(`${Date.now() / 1000}s forget p${partition}`),
      onError: (error) => reports.push(`error ${String(error)}`),
    });
    await vi.advanceTimersByTimeAsync(10_000); // caught up
    broker.end.set(0, 300n); // 200 new records on partition 0 between 10 s and 20 s, none processed
    await vi.advanceTimersByTimeAsync(10_000);
    broker.end.set(0, 400n); // still stuck ten seconds later
    assigned = [0];
    await vi.advanceTimersByTimeAsync(10_000);
    broker.committed.set(0, 400n);
    await vi.advanceTimersByTimeAsync(10_000);
    monitor.stop();
    expect(reports).toEqual([
      '10s p0 0 0s',
      '10s p1 0 0s',
      '20s p0 200 10s', // record 100 was not there at 10 s, was at 20 s: taken as 10 s old at 20 s
      '20s p1 0 0s',
      '30s forget p1',
      '30s p0 300 20s',
      '40s p0 0 0s',
    ]);
  });
});
