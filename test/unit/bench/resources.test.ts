import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGroupJoins } from '../../../bench/measure/group-joins.js';
import { perEventUse, startResourceMeter } from '../../../bench/measure/resources.js';

const NO_SERVER = 'postgresql://postgres@127.0.0.1:1/none';

/** Spins until this process has used `ms` more CPU time (not wall time: the machine may be busy). */
function burnCpu(ms: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) return;
  }
}

// Burning CPU time takes longer in wall time on a busy machine: no timing here, only a generous timeout.
describe('the resource meter', { timeout: 30_000 }, () => {
  it("counts a process's CPU time between start and finish", async () => {
    const meter = await startResourceMeter({
      servicePids: [process.pid],
      kafkaPid: null,
      postgresPid: null,
      serverUrl: NO_SERVER,
    });
    burnCpu(200);
    const totals = await meter.finish();
    // /proc counts in clock ticks (10 ms): 200 ms burnt reads as at least 180.
    expect(totals.service_cpu_ms).toBeGreaterThanOrEqual(180);
    expect(totals.service_cpu_ms).toBeLessThan(2_000);
    expect(totals.kafka_cpu_ms).toBeNull();
    expect(totals.wal_bytes).toBeNull();
  });

  it("counts a postmaster's children that exited and were reaped", async () => {
    // This process stands in for the postmaster: its child burns 300 ms of CPU, exits, and is waited for.
    const meter = await startResourceMeter({
      servicePids: [],
      kafkaPid: null,
      postgresPid: process.pid,
      serverUrl: NO_SERVER,
    });
    const child = spawnSync(process.execPath, [
      '-e',
      'const s = process.cpuUsage(); while ((process.cpuUsage(s).user + process.cpuUsage(s).system) < 300000);',
    ]);
    expect(child.status).toBe(0);
    const totals = await meter.finish();
    expect(totals.postgres_cpu_ms).toBeGreaterThanOrEqual(280);
  });

  it('divides totals by the events, and says null where there is nothing to divide', () => {
    const totals = { service_cpu_ms: 1_000, kafka_cpu_ms: 250, postgres_cpu_ms: null, wal_bytes: 3_000_001 };
    expect(perEventUse(totals, 2_000)).toEqual({
      service_cpu_ms_per_event: 0.5,
      kafka_cpu_ms_per_event: 0.125,
      postgres_cpu_ms_per_event: null,
      wal_bytes_per_event: 1_500,
    });
    expect(perEventUse(totals, 0).service_cpu_ms_per_event).toBeNull();
  });
});

describe('readGroupJoins', () => {
  it("reads every instance's joins from its log, in time order, after the start", () => {
    const dir = mkdtempSync(join(tmpdir(), 'group-joins-'));
    const first = join(dir, 'a.log');
    const second = join(dir, 'b.log');
    writeFileSync(
      first,
      [
        '{"level":30,"time":"2026-12-07T10:00:00.000Z","partitions":[0,1,2,3,4,5],"msg":"consumer joined its group"}',
        '{"level":30,"time":"2026-12-07T10:00:01.000Z","msg":"decided a batch"}',
        '{"level":30,"time":"2026-12-07T10:00:30.500Z","partitions":[3,4,5],"msg":"consumer joined its group"}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      second,
      '{"level":30,"time":"2026-12-07T10:00:30.250Z","partitions":[0,1,2],"msg":"consumer joined its group"}\n',
    );
    const startedAt = Date.parse('2026-12-07T10:00:00.000Z');
    expect(readGroupJoins([first, second, join(dir, 'never-started.log')], startedAt)).toEqual([
      { instance: 0, after_s: 0, partitions: [0, 1, 2, 3, 4, 5] },
      { instance: 1, after_s: 30.25, partitions: [0, 1, 2] },
      { instance: 0, after_s: 30.5, partitions: [3, 4, 5] },
    ]);
  });
});
