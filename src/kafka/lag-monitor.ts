import type { KafkaClient } from './kafka-client.js';

export interface LagMonitorOptions {
  kafka: KafkaClient;
  groupId: string;
  topic: string;
  intervalMs: number;
  /** The partitions this instance owns now, so instances never report each other's lag. */
  assigned(): readonly number[];
  report(partition: number, lag: number): void;
  forget(partition: number): void;
  onError(error: unknown): void;
}

/**
 * Samples consumer lag from the broker (high watermark minus the group's
 * committed offset) on a timer, so the gauge also moves for idle partitions
 * and while the consumer is stuck retrying an outage — exactly when an
 * operator looks at it.
 */
export function startLagMonitor(options: LagMonitorOptions): { stop(): void } {
  const reported = new Set<number>();
  let running = false;
  const sample = async () => {
    if (running) return; // a slow broker must not pile up samples
    running = true;
    try {
      const [ends, committed] = await Promise.all([options.kafka.endOffsets(options.topic), options.kafka.committedOffsets(options.groupId, options.topic)]);
      const owned = new Set(options.assigned());
      for (const partition of reported) {
        if (!owned.has(partition)) {
          options.forget(partition);
          reported.delete(partition);
        }
      }
      for (const partition of owned) {
        const end = ends.get(partition);
        if (end === undefined) continue;
        const position = committed.get(partition) ?? -1n;
        options.report(partition, Number(end - (position < 0n ? 0n : position)));
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
