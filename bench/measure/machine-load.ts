import { readFileSync } from 'node:fs';
import { sleep } from '../../scripts/infra/wait.js';

// The benchmark shares the machine with whatever else runs on it. Before it
// starts anything, it measures how busy the CPUs already are, so a report
// taken on a busy machine says so.

function cpuTimes(): { busy: number; total: number } {
  // First line of /proc/stat: "cpu user nice system idle iowait irq softirq steal …" in clock ticks.
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Share (0–1) of all CPUs busy during the next `ms` milliseconds; null without /proc. */
export async function cpuBusyShare(ms = 2_000): Promise<number | null> {
  try {
    const before = cpuTimes();
    await sleep(ms);
    const after = cpuTimes();
    return (after.busy - before.busy) / Math.max(1, after.total - before.total);
  } catch {
    return null;
  }
}
