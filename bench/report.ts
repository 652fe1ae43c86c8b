import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import type { Config } from '../src/config.js';
import type { ProfileSummary } from './measure/cpu-profile.js';
import type { Throughput } from './measure/throughput.js';
import type { DbLimit } from './phases/db-limit.js';
import type { NaiveResult } from './phases/naive.js';
import { scaleOutLines, scaleOutSummary } from './phases/scale-out.js';
import type { PgLimit } from './phases/pg-limit.js';
import type { ServiceLatency, ServiceThroughput } from './phases/service.js';
import { describeStages } from './measure/stage-split.js';
import { checkTargets, combinedLimit, describeTarget, shortfall, withUnit } from './targets.js';

// The printed table and bench/results/latest.json: the issue's figures first,
// with the details that explain them next to them.

export interface Results {
  ceiling: Throughput;
  dbLimit: DbLimit;
  pgLimit: PgLimit;
  naive: NaiveResult;
  /** OUTCOME_DELIVERY=transactional, the shipped default: the headline figures and the targets. */
  throughput: ServiceThroughput;
  latency: ServiceLatency;
  /** Transactional too, offered half the throughput run's events/s. */
  latencyHalfMax: ServiceLatency;
  /** The same with a CPU hog on one core (`--background-load`); null without it. */
  latencyHalfMaxLoaded: ServiceLatency | null;
  /** OUTCOME_DELIVERY=at-least-once on the same events, for the cost of transactions. */
  throughputAtLeastOnce: ServiceThroughput;
  latencyAtLeastOnce: ServiceLatency;
  /** Transactional, several instances in one group; null with --no-scale-out. */
  scaleOut: ServiceThroughput | null;
  profile: ProfileSummary | null;
}

export interface RunInfo {
  startedAt: Date;
  /** Share of all CPUs busy with other work just before the run (null without /proc): it skews every figure. */
  busyAtStart: number | null;
  kafkaVersion: string;
  postgresVersion: string;
  infra: string;
  statementStats: boolean;
  workload: Record<string, number | string>;
  settings: Partial<Config>;
}

const require = createRequire(import.meta.url);
const versionOf = (pkg: string): string =>
  (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;

/** The service's figures in one delivery mode: throughput run and latency run together (p50…p99 at 2,000 events/s). */
function serviceFigures(
  throughput: ServiceThroughput,
  latency: ServiceLatency,
  otherLatencyRuns: readonly ServiceLatency[] = [],
) {
  return {
    outcome_delivery: throughput.outcome_delivery,
    events_per_s: throughput.events_per_s,
    p50_ms: latency.p50_ms,
    p95_ms: latency.p95_ms,
    p99_ms: latency.p99_ms,
    /** The largest of all the mode's runs. */
    peak_rss_mb: Math.max(
      throughput.peak_rss_mb,
      latency.peak_rss_mb,
      ...otherLatencyRuns.map((run) => run.peak_rss_mb),
    ),
    db_round_trips_per_event: throughput.db_round_trips_per_event,
    throughput_run: throughput,
    latency_run: latency,
  };
}

export function buildReport(results: Results, run: RunInfo) {
  const { ceiling, dbLimit, pgLimit, naive, throughput, latency, latencyHalfMax } = results;
  const { throughputAtLeastOnce, latencyAtLeastOnce } = results;
  const { latencyHalfMaxLoaded } = results;
  const service = serviceFigures(throughput, latency, [latencyHalfMax]);
  const serviceAtLeastOnce = serviceFigures(throughputAtLeastOnce, latencyAtLeastOnce);
  const combined = combinedLimit(ceiling.events_per_s, dbLimit.events_per_s);
  const serviceOver = (events_per_s: number) => Number((throughput.events_per_s / events_per_s).toFixed(3));
  const targets = checkTargets({
    serviceEventsPerS: throughput.events_per_s,
    ceilingEventsPerS: ceiling.events_per_s,
    combinedLimitEventsPerS: combined,
    naiveEventsPerS: naive.events_per_s,
    atLeastOnceEventsPerS: throughputAtLeastOnce.events_per_s,
    dbLimitEventsPerS: dbLimit.events_per_s,
    pgLimitEventsPerS: pgLimit.events_per_s,
    p99At2000Ms: latency.p99_ms,
    p99AtHalfMaxMs: latencyHalfMax.p99_ms,
    ...(latencyHalfMaxLoaded ? { p99AtHalfMaxLoadedMs: latencyHalfMaxLoaded.p99_ms } : {}),
    peakRssMb: service.peak_rss_mb,
    dbRoundTripsPerEvent: throughput.db_round_trips_per_event,
  });
  return {
    generated_at: new Date().toISOString(),
    duration_s: Math.round((Date.now() - run.startedAt.getTime()) / 1000),
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memory_gib: Math.round(totalmem() / 2 ** 30),
      platform: `${process.platform}-${process.arch}`,
      node: process.version,
      kafka: run.kafkaVersion,
      postgres: run.postgresVersion,
      kafkajs: versionOf('kafkajs'),
      prisma: versionOf('@prisma/client'),
      infra: run.infra,
      cpu_busy_before_start: run.busyAtStart === null ? null : round2(run.busyAtStart),
    },
    workload: run.workload,
    service_settings: run.settings,
    ceiling,
    db_limit: dbLimit,
    /** The same rows written by plain INSERT … unnest, no reads: what Postgres allows for the service's writes. */
    pg_limit: pgLimit,
    /** Kafka's and Postgres's work sharing the machine: what the ceiling and db_limit allow together. */
    combined_limit: { events_per_s: combined, formula: '1 / (1/ceiling + 1/db_limit)' },
    naive,
    /** OUTCOME_DELIVERY=transactional, the shipped default. */
    service,
    /** The same latency run as service.latency_run, under the name issue 11 gives it. */
    latency_2000: latency,
    /** Transactional, offered half of service.events_per_s. */
    latency_half_max: latencyHalfMax,
    /** As latency_half_max, with a CPU hog spinning on one core (`--background-load`); null without it. */
    latency_half_max_loaded: latencyHalfMaxLoaded,
    service_at_least_once: serviceAtLeastOnce,
    latency_2000_at_least_once: latencyAtLeastOnce,
    scale_out: results.scaleOut ? scaleOutSummary(throughput, results.scaleOut) : null,
    ratios: {
      service_vs_ceiling: serviceOver(ceiling.events_per_s),
      service_vs_db_limit: serviceOver(dbLimit.events_per_s),
      service_vs_pg_limit: serviceOver(pgLimit.events_per_s),
      db_limit_vs_pg_limit: Number((dbLimit.events_per_s / pgLimit.events_per_s).toFixed(3)),
      service_vs_combined_limit: serviceOver(combined),
      service_vs_naive: Number((throughput.events_per_s / naive.events_per_s).toFixed(2)),
      /** Transactional ÷ at-least-once: below 1 for throughput and above 1 for p99 is what transactions cost. */
      transactional_vs_at_least_once: {
        events_per_s: Number((throughput.events_per_s / throughputAtLeastOnce.events_per_s).toFixed(3)),
        p99_ms: Number((latency.p99_ms / Math.max(1, latencyAtLeastOnce.p99_ms)).toFixed(2)),
      },
    },
    targets,
    profile: results.profile,
    method: [
      'service: OUTCOME_DELIVERY=transactional (the default; service, latency_2000, latency_half_max, targets) and OUTCOME_DELIVERY=at-least-once (service_at_least_once, latency_2000_at_least_once), each on its own database copy, consumer group and output topic, after a CHECKPOINT.',
      'outcomes are counted as records read by a read_committed consumer, never by offsets: commit markers take one offset per partition per transaction.',
      `db_limit: the service's use case (createBatchDecider on the Postgres decision store) driven straight against a copy of the database, no Kafka: the events split by key over the input topic's partitions and decoded before the clock starts, chunks of ${dbLimit.chunk_size}, each partition's chunks in order, ${dbLimit.partitions_at_once} partitions at once; the client side (Prisma, the rules) runs in the benchmark's process and is timed too.`,
      `pg_limit: the rows the service writes for each chunk (ledger, audit, state upserts, found by running its use case on an in-memory store beforehand) written by node-postgres with one INSERT … unnest of typed arrays per table, no reads, one transaction per chunk of ${pgLimit.chunk_size}, ${pgLimit.partitions_at_once} partitions at once, on its own copy of the database.`,
      'combined_limit: 1 / (1/ceiling + 1/db_limit) — Kafka and Postgres share the machine, so each event costs the time of both.',
      'events/s: from the consumer group join to the moment the last outcome became readable (read_committed): its broker append time (output topics use LogAppendTime), or the time of the commit marker of its transaction.',
      `naive: measured on the first ${naive.measured_events} events (prefix) and assumed to hold for the rest${naive.extrapolated ? ' (extrapolated)' : ''}.`,
      'latency: time the outcome became readable (as for events/s) minus the input message producer timestamp, inputs after a warm-up only; latency_2000 at the fixed rate, latency_half_max at half of service.events_per_s measured earlier in the same run.',
      "stages (latency runs): p99 per chunk of the service's contract_events_chunk_stage_seconds between the end of the warm-up and the end of the run, read from its buckets as histogram_quantile does: waiting (first message's timestamp to the start of work on the chunk: the fetch and the queue behind other partitions), deciding (database), publishing (outcomes and offsets; the Kafka transaction). Percentiles do not add up to the end-to-end p99.",
      "peak RSS: VmHWM of the service process (node dist/main.js), the largest of the mode's throughput and latency runs.",
      run.statementStats
        ? 'round trips: statements counted by pg_stat_statements in the database of the run (BEGIN/COMMIT included), divided by events.'
        : 'round trips: not measured (pg_stat_statements is not preloaded on this server).',
      'scale_out: the transactional service as several processes in one consumer group on the same topic, its own database copy and output topic, timed from the first join (the rebalance of the later join included), checked like the single one; CPU per event from /proc (utime + stime of the service processes, the local broker, and the local postmaster with its backends), WAL per event from pg_current_wal_lsn, both over the run.',
      'each implementation runs on its own copy of one migrated and seeded template database; Postgres keeps its default durability.',
    ],
  };
}

export type Report = ReturnType<typeof buildReport>;

/** The report, with whatever an option adds to it (`filled`). */
export function writeReport(report: Report & Record<string, unknown>, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

export function formatTable(report: Report): string {
  const { ceiling, naive, service, ratios } = report;
  const dbLimit = report.db_limit;
  const atLeastOnce = report.service_at_least_once;
  const vs = ratios.transactional_vs_at_least_once;
  const outcomesNote = (run: { events: number; seconds: number; outcomes_match_expected: boolean }) =>
    `${fmt(run.events)} outcomes in ${run.seconds} s; outcomes ${run.outcomes_match_expected ? 'match' : 'DO NOT match'} the rules`;
  const rows = [
    ['', 'events/s', 'service ÷ this', 'notes'],
    [
      'ceiling (kafkajs forward, no DB)',
      fmt(ceiling.events_per_s),
      `${ratios.service_vs_ceiling.toFixed(2)}×`,
      `${fmt(ceiling.events)} events in ${ceiling.seconds} s`,
    ],
    [
      "db-limit (the service's SQL, no Kafka)",
      fmt(dbLimit.events_per_s),
      `${ratios.service_vs_db_limit.toFixed(2)}×`,
      `${outcomesNote(dbLimit)}; ${dbLimit.events_per_transaction} events per transaction, ${dbLimit.db_round_trips_per_event ?? 'n/a'} DB round trips/event`,
    ],
    [
      'pg-limit (same rows, INSERT … unnest only)',
      fmt(report.pg_limit.events_per_s),
      `${ratios.service_vs_pg_limit.toFixed(2)}×`,
      `db-limit ÷ pg-limit ${ratios.db_limit_vs_pg_limit.toFixed(2)}×; ${fmt(report.pg_limit.ledger_rows)} ledger rows in ${report.pg_limit.seconds} s, ${report.pg_limit.db_round_trips_per_event ?? 'n/a'} DB round trips/event`,
    ],
    [
      'combined limit 1/(1/ceiling + 1/db-limit)',
      fmt(report.combined_limit.events_per_s),
      `${ratios.service_vs_combined_limit.toFixed(2)}×`,
      'Kafka and Postgres sharing the machine',
    ],
    [
      'naive (eachMessage, tx + send per event)',
      fmt(naive.events_per_s),
      `${ratios.service_vs_naive.toFixed(1)}×`,
      `${naive.extrapolated ? 'extrapolated from the first ' : ''}${fmt(naive.measured_events)} events in ${naive.measured_seconds} s; ${naive.db_round_trips_per_event ?? 'n/a'} DB round trips/event`,
    ],
    [
      'service (as shipped: transactional)',
      fmt(service.events_per_s),
      '1.00×',
      `${outcomesNote(service.throughput_run)}; ${fmt(service.throughput_run.outcome_commit_markers)} commit markers`,
    ],
    [
      'service, OUTCOME_DELIVERY=at-least-once',
      fmt(atLeastOnce.events_per_s),
      `${vs.events_per_s.toFixed(2)}×`,
      outcomesNote(atLeastOnce.throughput_run),
    ],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        column === 1 || column === 2 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ');
  const out = [
    line(rows[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    '',
    'service latency at a steady offered load:',
  ];
  const loaded = report.latency_half_max_loaded;
  for (const run of [report.latency_2000, report.latency_2000_at_least_once, report.latency_half_max, loaded]) {
    if (!run) continue;
    out.push(
      `  ${`${fmt(run.offered_events_per_s)} events/s`.padEnd(13)} ${run.outcome_delivery.padEnd(14)} p50 ${run.p50_ms} ms, p95 ${run.p95_ms} ms, p99 ${run.p99_ms} ms, max ${run.max_ms} ms (${fmt(run.samples)} samples over ${run.seconds} s; commit wait p50 ${run.commit_wait_p50_ms} ms, p99 ${run.commit_wait_p99_ms} ms)`,
      `  ${''.padEnd(28)} ${describeStages(run.stages)}`,
    );
  }
  out.push(
    `  (the last ${loaded ? 'two runs are' : 'run is'} offered half of the service's ${fmt(service.events_per_s)} events/s${loaded ? '; the last with a CPU hog spinning on one core' : ''})`,
    `transactional ÷ at-least-once: throughput ${vs.events_per_s.toFixed(2)}× (${fmt(service.events_per_s)} vs ${fmt(atLeastOnce.events_per_s)} events/s), p99 ${vs.p99_ms.toFixed(2)}× (${service.p99_ms} vs ${atLeastOnce.p99_ms} ms)`,
    '',
    `service peak RSS ${service.peak_rss_mb.toFixed(0)} MiB (at-least-once ${atLeastOnce.peak_rss_mb.toFixed(0)} MiB); DB round trips/event ${service.db_round_trips_per_event ?? 'n/a'} at full load (${service.throughput_run.events_per_transaction} events per transaction), ${service.latency_run.db_round_trips_per_event ?? 'n/a'} at ${fmt(service.latency_run.offered_events_per_s)} events/s`,
    '',
    ...scaleOutLines(report.scale_out),
    '',
    'targets (transactional):',
    ...Object.values(report.targets).map((t) => {
      const missed = shortfall(t);
      return `  ${t.met ? 'met   ' : 'MISSED'}  ${t.what.padEnd(30)} ${describeTarget(t).padEnd(9)} actual ${t.value === null ? 'n/a' : withUnit(t.value, t.unit)}${missed ? ` (${missed})` : ''}`;
    }),
  );
  const busy = report.machine.cpu_busy_before_start;
  if (busy !== null && busy > 0.15) {
    out.push(
      '',
      `warning: other work kept ${Math.round(busy * 100)}% of the CPUs busy just before the run; the figures are skewed by it.`,
    );
  }
  return out.join('\n');
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

const fmt = (value: number): string => value.toLocaleString('en-US');
