import { sleep } from '../../scripts/infra/wait.js';
import type { ChunkStage } from '../../src/kafka/worker-hooks.js';

// Where a latency run's time goes inside the service: its
// contract_events_chunk_stage_seconds histogram (waiting for the fetch and
// behind other partitions, deciding, publishing and committing), scraped from
// /metrics once the warm-up is over and again at the end, so the warm-up's
// chunks are left out. Per chunk, not per event; read from the buckets as
// Prometheus's histogram_quantile does (linear within a bucket).

/** Per stage, cumulative counts by bucket upper bound (seconds; Infinity for +Inf), in ascending order. */
export type StageBuckets = Map<string, { le: number; count: number }[]>;

/** p99 of each stage in ms, and the chunks they are taken over. */
export type StageSplit = Record<`${ChunkStage}_p99_ms`, number | null> & { chunks: number };

const BUCKET_LINE = /^contract_events_chunk_stage_seconds_bucket\{([^}]*)\}\s+(\S+)$/gm;

export function parseStageBuckets(exposition: string): StageBuckets {
  const buckets: StageBuckets = new Map();
  for (const [, labels, value] of exposition.matchAll(BUCKET_LINE)) {
    const stage = /stage="([^"]*)"/.exec(labels!)?.[1];
    const le = /le="([^"]*)"/.exec(labels!)?.[1];
    if (stage === undefined || le === undefined) continue;
    const rows = buckets.get(stage) ?? [];
    rows.push({ le: le === '+Inf' ? Infinity : Number(le), count: Number(value) });
    buckets.set(stage, rows);
  }
  for (const rows of buckets.values()) rows.sort((a, b) => a.le - b.le);
  return buckets;
}

/** The q-quantile in ms of what was observed between two scrapes; null when nothing was. */
export function quantileBetween(
  before: StageBuckets,
  after: StageBuckets,
  stage: string,
  q: number,
): { ms: number | null; count: number } {
  const earlier = new Map((before.get(stage) ?? []).map(({ le, count }) => [le, count]));
  const rows = (after.get(stage) ?? []).map(({ le, count }) => ({ le, count: count - (earlier.get(le) ?? 0) }));
  const total = rows.at(-1)?.count ?? 0;
  if (total === 0) return { ms: null, count: 0 };
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of rows) {
    if (count >= rank) {
      // Beyond the last finite bound there is nothing to interpolate towards: that bound is the answer.
      if (le === Infinity) return { ms: lower * 1000, count: total };
      const share = count === below ? 0 : (rank - below) / (count - below);
      return { ms: Math.round((lower + (le - lower) * share) * 1000), count: total };
    }
    lower = le;
    below = count;
  }
  return { ms: null, count: total };
}

export async function scrapeStages(port: number): Promise<StageBuckets> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return parseStageBuckets(await response.text());
}

/** Scrapes once the warm-up is over; `finish` scrapes again (before the service stops) and splits. */
export function watchStages(port: number, warmupMs: number): { finish(): Promise<StageSplit | null> } {
  const atWarmUpEnd = sleep(warmupMs)
    .then(() => scrapeStages(port))
    .catch(() => null);
  return {
    async finish() {
      const before = await atWarmUpEnd;
      const after = await scrapeStages(port).catch(() => null);
      if (!before || !after) return null;
      const p99 = (stage: ChunkStage) => quantileBetween(before, after, stage, 0.99);
      return {
        waiting_p99_ms: p99('waiting').ms,
        deciding_p99_ms: p99('deciding').ms,
        publishing_p99_ms: p99('publishing').ms,
        chunks: p99('deciding').count,
      };
    },
  };
}

/** "chunk p99: waiting 40 ms, deciding 25 ms, publishing 30 ms (120 chunks)" for the table. */
export function describeStages(split: StageSplit | null): string {
  if (!split) return 'chunk stages: /metrics not read';
  const ms = (value: number | null) => (value === null ? 'n/a' : `${value} ms`);
  return `chunk p99: waiting ${ms(split.waiting_p99_ms)}, deciding ${ms(split.deciding_p99_ms)}, publishing ${ms(split.publishing_p99_ms)} (${split.chunks} chunks)`;
}
