import type { BenchContext } from '../context.js';
import { runServiceThroughput, type ServiceThroughput } from './service.js';

// (e) Scale-out (issue 20, item 5): the transactional service as two
// processes in one consumer group on the same 6-partition topic, on its own
// database copy and output topic, against the single instance of the same
// run, and checked like it: every input message answered exactly once, with
// the rules' codes. Both start at once, but the first to join takes every
// partition and fetches up to 1 MiB of each, and the group settles on a share
// for each only after one or more rebalances (the joins each instance logged
// are reported). So two figures: from the first join (scaling out from cold,
// the rebalances included) and from the group's last join (every instance
// holding its share).

export const SCALE_OUT_INSTANCES = 2;

export function runScaleOut(context: BenchContext): Promise<ServiceThroughput> {
  return runServiceThroughput(context, 'transactional', null, SCALE_OUT_INSTANCES);
}

/** The report's `scale_out` section: both runs' figures side by side and their ratio. */
export function scaleOutSummary(single: ServiceThroughput, scaled: ServiceThroughput) {
  const figures = (run: ServiceThroughput) => ({
    instances: run.instances,
    events_per_s: run.events_per_s,
    joined_after_s: run.joined_after_s,
    group_joins: run.group_joins,
    after_last_join: run.after_last_join,
    outcomes_match_expected: run.outcomes_match_expected,
    service_cpu_ms_per_event: run.service_cpu_ms_per_event,
    kafka_cpu_ms_per_event: run.kafka_cpu_ms_per_event,
    postgres_cpu_ms_per_event: run.postgres_cpu_ms_per_event,
    wal_bytes_per_event: run.wal_bytes_per_event,
    events_per_transaction: run.events_per_transaction,
    peak_rss_mb: run.peak_rss_mb,
  });
  return {
    one_instance: figures(single),
    scaled: figures(scaled),
    /** Scaled ÷ one instance, each from its first join: 2 would be linear scaling. */
    events_per_s_ratio: ratio(scaled.events_per_s, single.events_per_s),
    /** The same after the last join, when every instance is in the group. */
    after_last_join_ratio: ratio(scaled.after_last_join.events_per_s, single.after_last_join.events_per_s),
    scaled_run: scaled,
  };
}

const ratio = (scaled: number, single: number) => Number((scaled / Math.max(1, single)).toFixed(3));

export type ScaleOutSummary = ReturnType<typeof scaleOutSummary>;

const perEvent = (value: number | null, unit: string) => (value === null ? 'n/a' : `${value} ${unit}`);

/** Per-event costs of a throughput run, for the printed table. */
function costLine(name: string, run: ScaleOutSummary['scaled']): string {
  return (
    `  ${name.padEnd(26)} CPU per event: service ${perEvent(run.service_cpu_ms_per_event, 'ms')}, ` +
    `Kafka ${perEvent(run.kafka_cpu_ms_per_event, 'ms')}, Postgres ${perEvent(run.postgres_cpu_ms_per_event, 'ms')}; ` +
    `WAL ${perEvent(run.wal_bytes_per_event, 'bytes')} per event; ${run.events_per_transaction} events per transaction`
  );
}

/** The lines the printed table gets for the scale-out comparison. */
export function scaleOutLines(summary: ScaleOutSummary | null): string[] {
  if (!summary) return ['scale-out: not measured (--no-scale-out)'];
  const { one_instance: one, scaled } = summary;
  const rate = (value: number) => value.toLocaleString('en-US');
  const lastJoin = Math.max(0, ...scaled.group_joins.map((join) => join.after_s));
  return [
    `scale-out (transactional, one consumer group, ${scaled.instances} instances): ` +
      `${rate(scaled.events_per_s)} events/s against ${rate(one.events_per_s)} with one instance = ` +
      `${summary.events_per_s_ratio.toFixed(2)}× from the first join; ` +
      `${rate(scaled.after_last_join.events_per_s)} against ${rate(one.after_last_join.events_per_s)} = ` +
      `${summary.after_last_join_ratio.toFixed(2)}× after the group's last join (+${lastJoin} s, ` +
      `${rate(scaled.after_last_join.events)} events in ${scaled.after_last_join.seconds} s); every event answered ` +
      `${scaled.outcomes_match_expected ? 'exactly once, codes as the rules' : 'NOT exactly once or with other codes'}`,
    `  group joins of the ${scaled.instances} instances (s after the first): ` +
      scaled.group_joins
        .map((join) => `#${join.instance + 1} +${join.after_s} s [${join.partitions.join(',')}]`)
        .join(', '),
    costLine('1 instance', one),
    costLine(`${scaled.instances} instances`, scaled),
  ];
}
