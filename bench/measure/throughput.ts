import { sleep } from '../../scripts/infra/wait.js';
import type { BenchKafka, TimedRecord } from '../baselines/kafkajs.js';

// Throughput is measured the same way for every implementation: from the
// moment its consumer joined its group (consumption can start) to the
// producer timestamp of its last outcome on the output topic.

export interface Throughput {
  events: number;
  seconds: number;
  events_per_s: number;
}

/** Polls the topic's watermarks (cheap: no reading) until it holds `expected` messages. */
export async function waitForTopicSize(
  kafka: BenchKafka,
  topic: string,
  expected: number,
  { timeoutMs, abortReason, onProgress }: { timeoutMs: number; abortReason?: () => string | undefined; onProgress?: (size: number) => void },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = 0;
  for (;;) {
    const size = await kafka.topicSize(topic);
    if (size >= expected) return;
    const reason = abortReason?.();
    if (reason) throw new Error(`${topic}: ${reason} after ${size}/${expected} messages`);
    if (Date.now() > deadline) throw new Error(`${topic}: only ${size}/${expected} messages after ${timeoutMs / 1000} s`);
    if (onProgress && Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      onProgress(size);
    }
    await sleep(250);
  }
}

export function throughputFrom(startMs: number, endMs: number, events: number): Throughput {
  const seconds = (endMs - startMs) / 1000;
  return { events, seconds: round(seconds, 2), events_per_s: Math.round(events / seconds) };
}

/** The latest producer timestamp among the records. */
export function lastTimestamp(records: readonly TimedRecord[]): number {
  let last = 0;
  for (const record of records) if (record.timestamp > last) last = record.timestamp;
  return last;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
