import type { AppendTimes } from './append-times.js';
import type { KafkaClient } from './port.js';

export interface LagMonitorOptions {
  kafka: Pick<KafkaClient, 'endOffsets' | 'committedOffsets'>;
  groupId: string;
  topic: string;
  intervalMs: number;
  /** The partitions this instance owns now, so instances never report each other's lag. */
  assigned(): readonly number[];
  /** Where each end offset sighted is noted, to tell the lag in seconds. */
  appendTimes: AppendTimes;
  /** The lag in messages, and the age in seconds of the oldest message not processed. */
  report(partition: number, lag: number, lagSeconds: number): void;
  forget(partition: number): void;
  onError(error: unknown): void;
}

/**
 * Samples consumer lag from the broker (high watermark minus the group's
 * committed offset) on a timer, so the gauges also move for idle partitions
 * and while the consumer is stuck retrying an outage — exactly when an
 * operator looks at them. Each sample is also a sighting of the end offsets,
 * from which the lag in seconds is estimated.
 */
export function startLagMonitor(options: LagMonitorOptions): { stop(): void } {
  const reported = new Set<number>();
  let running = false;
  const sample = async () => {
    if (running) return; // a slow broker must not pile up samples
    running = true;
    try {
      const [ends, committed] = await Promise.all([
        options.kafka.endOffsets(options.topic),
        options.kafka.committedOffsets(options.groupId, options.topic),
      ]);
      const now = Date.now();
      const owned = new Set(options.assigned());
      for (const partition of reported) {
        if (!owned.has(partition)) {
          options.forget(partition);
          options.appendTimes.forget(partition);
          reported.delete(partition);
        }
      }
      for (const partition of owned) {
        const end = ends.get(partition);
        if (end === undefined) continue;
        options.appendTimes.observe(partition, end, now);
        const committedOffset = committed.get(partition) ?? -1n;
        const position = committedOffset < 0n ? 0n : committedOffset;
        options.report(partition, Number(end - position), options.appendTimes.secondsBehind(partition, position, now));
        reported.add(partition);
      }
    } catch (error) {
      options.onError(error);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sample(), options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
