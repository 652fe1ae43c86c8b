import { sleep } from '../../scripts/infra/wait.js';
import type { BenchKafka, TimedRecord } from '../baselines/kafkajs.js';

// Throughput is measured the same way for every implementation: from the
// moment its consumer joined its group (consumption can start) to the moment
// its last outcome became readable on the output topic (see lastVisible).

export interface Throughput {
  events: number;
  seconds: number;
  events_per_s: number;
}

/**
 * Polls the group's committed offsets (cheap: no reading) until it has
 * committed its way through the whole input topic. Every implementation
 * commits an input position only after the outcomes for it are published
 * (at-least-once), or in the same transaction as them (transactional), so
 * this is when its work is done. The input topics are written without
 * transactions, so their offsets count messages. Output topics are not
 * counted by offsets at all: transaction markers take offsets there.
 */
export async function waitForGroup(
  kafka: BenchKafka,
  groupId: string,
  inputTopic: string,
  {
    timeoutMs,
    abortReason,
    onProgress,
  }: {
    timeoutMs: number;
    abortReason?: () => string | undefined;
    onProgress?: (consumed: number, total: number) => void;
  },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = 0;
  for (;;) {
    const { consumed, total } = await kafka.groupProgress(groupId, inputTopic);
    if (total > 0 && consumed >= total) return;
    const reason = abortReason?.();
    if (reason) throw new Error(`${groupId}: ${reason} after consuming ${consumed}/${total} input messages`);
    if (Date.now() > deadline)
      throw new Error(`${groupId}: only ${consumed}/${total} input messages consumed after ${timeoutMs / 1000} s`);
    if (onProgress && Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      onProgress(consumed, total);
    }
    await sleep(250);
  }
}

export function throughputFrom(startMs: number, endMs: number, events: number): Throughput {
  const seconds = (endMs - startMs) / 1000;
  return { events, seconds: round(seconds, 2), events_per_s: Math.round(events / seconds) };
}

/**
 * When the last of the records became readable by a read_committed consumer:
 * the broker's append time for records written outside a transaction, the
 * commit marker's for records written in one.
 */
export function lastVisible(records: readonly TimedRecord[]): number {
  let last = 0;
  for (const record of records) if (record.visibleAt > last) last = record.visibleAt;
  return last;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
