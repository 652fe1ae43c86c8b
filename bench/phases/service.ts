import { join } from 'node:path';
import { getFreePorts } from '../../scripts/infra/wait.js';
import { log, nameFor, type BenchContext } from '../context.js';
import { cloneDatabase } from '../database.js';
import { codeHistogram } from '../dataset.js';
import { outcomeLatencies, paceLoad, type LatencySummary } from '../measure/latency.js';
import { databaseStats, type DatabaseStats, type StatementStat } from '../measure/pg-stats.js';
import { sampleRss } from '../measure/rss.js';
import { lastTimestamp, round, throughputFrom, waitForTopicSize, type Throughput } from '../measure/throughput.js';
import { startServiceProcess, type ServiceProcess } from '../service-process.js';

// (c) The service as shipped, in its own process with its own copy of the
// database, its own consumer group and output topic. Settings not named here
// come from the environment, so `BATCH_MAX_SIZE=5000 npm run bench` tries one.

export interface ServiceThroughput extends Throughput {
  peak_rss_mb: number;
  db_round_trips_per_event: number | null;
  db_transactions: number;
  events_per_transaction: number;
  /** Outcome codes equal those of the sequential fold of the rules over the same events. */
  outcomes_match_expected: boolean;
  mismatches: Record<string, { expected: number; got: number }>;
  statements: StatementStat[] | null;
  cpu_profile_dir: string | null;
}

export interface ServiceLatency extends LatencySummary {
  offered_events_per_s: number;
  seconds: number;
  peak_rss_mb: number;
  db_round_trips_per_event: number | null;
}

interface Launched {
  service: ServiceProcess;
  database: string;
  output: string;
}

async function launch(context: BenchContext, name: string, inputTopic: string, cpuProfileDir?: string): Promise<Launched> {
  const { infra, options, kafka } = context;
  const database = nameFor(context, name);
  const output = nameFor(context, `${name}_out`);
  const url = await cloneDatabase(infra.serverUrl, context.templateDatabase, database);
  context.createdDatabases.push(database);
  await kafka.createTopics([output], options.partitions);
  context.createdTopics.push(output);
  const [port] = (await getFreePorts(1)) as [number];
  const service = await startServiceProcess({
    logFile: join(infra.workDir, `${name}.log`),
    httpPort: port,
    ...(cpuProfileDir ? { cpuProfileDir } : {}),
    env: {
      KAFKA_BROKERS: infra.brokers.join(','),
      DATABASE_URL: url,
      EVENTS_TOPIC: inputTopic,
      OUTCOMES_TOPIC: output,
      KAFKA_GROUP_ID: nameFor(context, name),
      TOPIC_PARTITIONS: String(options.partitions),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
    },
  });
  return { service, database, output };
}

const perEvent = (stats: DatabaseStats, events: number) => (stats.round_trips === null ? null : round(stats.round_trips / events, 4));

/** Throughput on the pre-loaded events, peak RSS, round trips, and a check of every outcome code. */
export async function runServiceThroughput(context: BenchContext, cpuProfileDir: string | null): Promise<ServiceThroughput> {
  const { kafka, dataset, infra } = context;
  const expected = dataset.messages.length;
  const { service, database, output } = await launch(context, 'service', context.inputTopic, cpuProfileDir ?? undefined);
  const rss = sampleRss(service.pid);
  try {
    await waitForTopicSize(kafka, output, expected, {
      timeoutMs: 480_000,
      abortReason: () => (service.hasExited() ? 'the service exited (see its log)' : undefined),
      onProgress: (size) => log(`service: ${size}/${expected} outcomes`),
    });
  } finally {
    rss.stop();
    await service.stop();
  }
  const records = await kafka.readAll(output, expected, 120_000);
  const result = throughputFrom(service.joinedAt, lastTimestamp(records), records.length);
  const got = codeHistogram(records.map((r) => (JSON.parse(r.value?.toString('utf8') ?? '{}') as { code: string }).code));
  const want = codeHistogram(dataset.expected);
  const mismatches: ServiceThroughput['mismatches'] = {};
  for (const code of new Set([...Object.keys(got), ...Object.keys(want)])) {
    if (got[code] !== want[code]) mismatches[code] = { expected: want[code] ?? 0, got: got[code] ?? 0 };
  }
  const stats = await databaseStats(infra.serverUrl, database, infra.statementStats);
  log(`service: ${result.events} events in ${result.seconds} s = ${result.events_per_s} events/s, peak RSS ${rss.peakMb().toFixed(0)} MiB`);
  return {
    ...result,
    peak_rss_mb: round(rss.peakMb(), 1),
    db_round_trips_per_event: perEvent(stats, records.length),
    db_transactions: stats.transactions,
    events_per_transaction: round(records.length / Math.max(1, stats.transactions), 1),
    outcomes_match_expected: Object.keys(mismatches).length === 0,
    mismatches,
    statements: stats.statements?.slice(0, 12) ?? null,
    cpu_profile_dir: cpuProfileDir,
  };
}

/** End-to-end latency at a steady offered load, on a fresh database and a fresh input topic. */
export async function runServiceLatency(context: BenchContext): Promise<ServiceLatency> {
  const { kafka, dataset, infra, options } = context;
  const input = nameFor(context, 'latency_in');
  await kafka.createTopics([input], options.partitions);
  context.createdTopics.push(input);
  const messages = dataset.messages.slice(0, options.latencyRate * options.latencySeconds);
  const { service, database, output } = await launch(context, 'latency', input);
  const rss = sampleRss(service.pid);
  const producer = await kafka.connectProducer();
  let load: Awaited<ReturnType<typeof paceLoad>>;
  const startedAt = Date.now();
  try {
    log(`latency: offering ${messages.length} events at ${options.latencyRate} events/s`);
    load = await paceLoad(producer, input, messages, options.latencyRate);
    await waitForTopicSize(kafka, output, messages.length, { timeoutMs: 120_000 });
  } finally {
    rss.stop();
    await producer.disconnect();
    await service.stop();
  }
  const [inputs, outcomes] = [await kafka.readAll(input, messages.length, 60_000), await kafka.readAll(output, messages.length, 60_000)];
  const latency = outcomeLatencies(inputs, outcomes, startedAt + options.warmupSeconds * 1000);
  const stats = await databaseStats(infra.serverUrl, database, infra.statementStats);
  log(`latency: p50 ${latency.p50_ms} ms, p95 ${latency.p95_ms} ms, p99 ${latency.p99_ms} ms over ${latency.samples} events`);
  return {
    ...latency,
    offered_events_per_s: load.offered_events_per_s,
    seconds: load.seconds,
    peak_rss_mb: round(rss.peakMb(), 1),
    db_round_trips_per_event: perEvent(stats, outcomes.length),
  };
}
