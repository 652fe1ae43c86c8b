import { sleep } from '../../scripts/infra/wait.js';
import type { BenchMessage, BenchProducer, TimedRecord } from '../baselines/kafkajs.js';
import { round } from './throughput.js';

// End-to-end latency at a steady offered load: a paced producer sends the
// events, and each outcome's latency is the time it became readable by a
// read_committed consumer (the broker's append time, or in transactional mode
// the time of the commit marker that made it visible) minus the producer
// timestamp of the input message it answers (found through the outcome's
// `source` position).

export interface LatencySummary {
  samples: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** Sends `messages` at `ratePerS`, in small batches every `tickMs`, catching up when a send was slow. */
export async function paceLoad(
  producer: BenchProducer,
  topic: string,
  messages: readonly BenchMessage[],
  ratePerS: number,
  tickMs = 10,
) {
  const started = performance.now();
  let sent = 0;
  while (sent < messages.length) {
    const due = Math.min(messages.length, Math.ceil(((performance.now() - started) / 1000) * ratePerS));
    if (due > sent) {
      const batch = messages.slice(sent, due);
      sent = due;
      await producer.send(topic, batch);
    }
    await sleep(tickMs);
  }
  const seconds = (performance.now() - started) / 1000;
  return { sent, seconds: round(seconds, 2), offered_events_per_s: Math.round(sent / seconds) };
}

/** Latencies of outcomes whose input was produced at or after `fromMs` (skipping the warm-up). */
export function outcomeLatencies(
  inputs: readonly TimedRecord[],
  outcomes: readonly TimedRecord[],
  fromMs: number,
): LatencySummary {
  const produced = new Map<string, number>();
  for (const input of inputs) produced.set(`${input.partition}/${input.offset}`, input.timestamp);
  const latencies: number[] = [];
  for (const outcome of outcomes) {
    const source = (
      JSON.parse(outcome.value?.toString('utf8') ?? 'null') as {
        source: { partition: number; offset: string } | null;
      } | null
    )?.source;
    const sentAt = source ? produced.get(`${source.partition}/${source.offset}`) : undefined;
    if (sentAt !== undefined && sentAt >= fromMs) latencies.push(outcome.visibleAt - sentAt);
  }
  latencies.sort((a, b) => a - b);
  return {
    samples: latencies.length,
    p50_ms: percentile(latencies, 50),
    p95_ms: percentile(latencies, 95),
    p99_ms: percentile(latencies, 99),
    max_ms: latencies.at(-1) ?? 0,
  };
}

/**
 * How long outcomes waited, once appended, for their transaction to commit
 * (commit marker time minus append time); 0 for outcomes written outside a
 * transaction. Part of the latency above, shown apart.
 */
export function commitWait(outcomes: readonly TimedRecord[]): { p50_ms: number; p99_ms: number } {
  const waits = outcomes.map((outcome) => outcome.visibleAt - outcome.timestamp).sort((a, b) => a - b);
  return { p50_ms: percentile(waits, 50), p99_ms: percentile(waits, 99) };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
