import { readFileSync } from 'node:fs';
import { round } from './throughput.js';

// When each service instance joined (and rejoined) its consumer group and
// which partitions it got, from its own log ("consumer joined its group"):
// the evidence of how long a rebalance took when instances were added.

export interface GroupJoin {
  instance: number;
  /** Seconds after the run's clock started (the first instance's join). */
  after_s: number;
  partitions: number[];
}

export function readGroupJoins(logFiles: readonly string[], startedAt: number): GroupJoin[] {
  const joins: GroupJoin[] = [];
  logFiles.forEach((file, instance) => {
    const text = readOrEmpty(file);
    for (const line of text.split('\n')) {
      if (!line.includes('consumer joined its group')) continue;
      const entry = JSON.parse(line) as { time: string; partitions: number[] };
      joins.push({
        instance,
        after_s: round((Date.parse(entry.time) - startedAt) / 1000, 2),
        partitions: entry.partitions,
      });
    }
  });
  return joins.sort((a, b) => a.after_s - b.after_s);
}

/** A log that is not there (the instance never started) has no joins to tell. */
function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
