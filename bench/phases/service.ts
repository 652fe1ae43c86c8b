import { join } from 'node:path';
import { getFreePorts } from '../../scripts/infra/wait.js';
import type { TopicRead } from '../baselines/kafkajs.js';
import { log, nameFor, type BenchContext } from '../context.js';
import { checkpoint, cloneDatabase } from '../database.js';
import { codeHistogram, mismatchedCodes } from '../dataset.js';
import { commitWait, outcomeLatencies, paceLoad, type LatencySummary } from '../measure/latency.js';
import { databaseStats, type DatabaseStats, type StatementStat } from '../measure/pg-stats.js';
import { readGroupJoins, type GroupJoin } from '../measure/group-joins.js';
import { perEventUse, startResourceMeter, type ResourceTotals, type ResourceUse } from '../measure/resources.js';
import { sampleRss } from '../measure/rss.js';
import { watchStages, type StageSplit } from '../measure/stage-split.js';
import { lastVisible, round, throughputFrom, waitForGroup, type Throughput } from '../measure/throughput.js';
import { startServiceProcess, type ServiceProcess } from '../service-process.js';

// (c) The service as shipped, in its own process with its own copy of the
// database, its own consumer group and output topic, once per outcome
// delivery mode: `transactional` (the default, the headline figures) and
// `at-least-once`. OUTCOME_DELIVERY is set per run; other settings come from
// the environment, so `BATCH_MAX_SIZE=5000 npm run bench` tries one.

export type OutcomeDelivery = 'transactional' | 'at-least-once';

export interface ServiceThroughput extends Throughput, ResourceUse {
  outcome_delivery: OutcomeDelivery;
  /** Service processes in the one consumer group; the run's clock starts when the first joined. */
  instances: number;
  /** When each instance joined, in seconds after the first: a later join waits for a rebalance. */
  joined_after_s: number[];
  /** Every join and rejoin the instances logged, with the partitions each got. */
  group_joins: GroupJoin[];
  /** From the group's last join (every instance holding its share) to the last outcome, the outcomes readable in it. */
  after_last_join: Throughput;
  /** The largest of the instances'. */
  peak_rss_mb: number;
  db_round_trips_per_event: number | null;
  db_transactions: number;
  events_per_transaction: number;
  /** Transaction markers on the outcome topic: each takes an offset, which is why outcomes are counted as records. */
  outcome_commit_markers: number;
  outcome_abort_markers: number;
  /** Distinct input messages (partition and offset, from each outcome's `source`) that have an outcome. */
  inputs_answered: number;
  /** Exactly one outcome per event (read_committed), with the codes of the sequential fold of the rules over the same events. */
  outcomes_match_expected: boolean;
  mismatches: Record<string, { expected: number; got: number }>;
  statements: StatementStat[] | null;
  cpu_profile_dir: string | null;
}

export interface ServiceLatency extends LatencySummary {
  outcome_delivery: OutcomeDelivery;
  offered_events_per_s: number;
  seconds: number;
  /** Time outcomes waited, once appended, for their Kafka transaction to commit (0 in at-least-once mode); part of the latency. */
  commit_wait_p50_ms: number;
  commit_wait_p99_ms: number;
  peak_rss_mb: number;
  db_round_trips_per_event: number | null;
  /** p99 per chunk of each stage inside the service (null when /metrics could not be read). */
  stages: StageSplit | null;
}

interface Launched {
  /** The first of `services`. */
  service: ServiceProcess;
  services: ServiceProcess[];
  /** The first instance's HTTP port (its /metrics). */
  port: number;
  database: string;
  groupId: string;
  output: string;
}

/** The parts of an outcome message the check reads. */
interface AnsweredOutcome {
  code: string;
  source?: { partition?: number; offset?: string };
}

/** The transactional runs keep the names they always had; the at-least-once runs are suffixed. */
const runName = (what: string, mode: OutcomeDelivery) => (mode === 'transactional' ? what : `${what}_alo`);

async function launch(
  context: BenchContext,
  name: string,
  inputTopic: string,
  mode: OutcomeDelivery,
  cpuProfileDir?: string,
  instances = 1,
): Promise<Launched> {
  const { infra, options, kafka } = context;
  const database = nameFor(context, name);
  const groupId = nameFor(context, name);
  const output = nameFor(context, `${name}_out`);
  const url = await cloneDatabase(infra.serverUrl, context.templateDatabase, database);
  context.createdDatabases.push(database);
  await kafka.createTopics([output], options.partitions, { appendTime: true });
  context.createdTopics.push(output);
  await checkpoint(infra.serverUrl);
  const ports = await getFreePorts(instances);
  const start = (port: number, instance: number) =>
    startServiceProcess({
      logFile: join(infra.workDir, instance === 0 ? `${name}.log` : `${name}_${instance + 1}.log`),
      httpPort: port,
      ...(cpuProfileDir ? { cpuProfileDir } : {}),
      env: {
        KAFKA_BROKERS: infra.brokers.join(','),
        DATABASE_URL: url,
        EVENTS_TOPIC: inputTopic,
        OUTCOMES_TOPIC: output,
        KAFKA_GROUP_ID: groupId,
        OUTCOME_DELIVERY: mode,
        TOPIC_PARTITIONS: String(options.partitions),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
      },
    });
  // All at once, so that they join the group about together: the rebalance a later join causes is part of the run.
  const started = await Promise.allSettled(ports.map(start));
  const services = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(services.map((service) => service.stop()));
    throw failed.reason;
  }
  return { service: services[0]!, services, port: ports[0]!, database, groupId, output };
}

const perEvent = (stats: DatabaseStats, events: number) =>
  stats.round_trips === null ? null : round(stats.round_trips / events, 4);

const reportMarkerNotSeen = (label: string, read: TopicRead) => {
  if (read.markerNotSeen > 0)
    log(`${label}: ${read.markerNotSeen} outcomes whose commit marker was not read; their own timestamp stands in`);
};

/** Throughput on the pre-loaded events, peak RSS, round trips, and a check of every outcome. */
export async function runServiceThroughput(
  context: BenchContext,
  mode: OutcomeDelivery,
  cpuProfileDir: string | null,
  instances = 1,
): Promise<ServiceThroughput> {
  const { kafka, dataset, infra } = context;
  const label = `service (${mode}${instances > 1 ? `, ${instances} instances` : ''})`;
  const expected = dataset.messages.length;
  const { services, database, groupId, output } = await launch(
    context,
    runName(instances > 1 ? `service_x${instances}` : 'service', mode),
    context.inputTopic,
    mode,
    cpuProfileDir ?? undefined,
    instances,
  );
  const samplers = services.map((service) => sampleRss(service.pid));
  const meter = await startResourceMeter({
    servicePids: services.map((service) => service.pid),
    kafkaPid: infra.pids.kafka,
    postgresPid: infra.pids.postgres,
    serverUrl: infra.serverUrl,
  });
  let resources: ResourceTotals;
  try {
    await waitForGroup(kafka, groupId, context.inputTopic, {
      timeoutMs: 480_000,
      abortReason: () => (services.some((s) => s.hasExited()) ? 'a service exited (see its log)' : undefined),
      onProgress: (consumed, total) => log(`${label}: ${consumed}/${total} events consumed`),
    });
    resources = await meter.finish(); // before the stop: an exited process's CPU time is gone
  } finally {
    for (const rss of samplers) rss.stop();
    await Promise.all(services.map((service) => service.stop()));
  }
  const read = await kafka.readAll(output, expected, 120_000);
  reportMarkerNotSeen(label, read);
  const { records } = read;
  const joins = services.map((service) => service.joinedAt);
  const [firstJoin, allReady] = [Math.min(...joins), Math.max(...joins)];
  const result = throughputFrom(firstJoin, lastVisible(records), records.length);
  const groupJoins = readGroupJoins(
    services.map((service) => service.logFile),
    firstJoin,
  );
  // The group's last generation: from then on every instance holds its share (a rejoin may come after all were ready).
  const lastJoin = Math.max(allReady, firstJoin + Math.max(0, ...groupJoins.map((join) => join.after_s * 1000)));
  const visibleAfter = (at: number) => records.filter((record) => record.visibleAt > at).length;
  const afterLastJoin = throughputFrom(lastJoin, lastVisible(records), visibleAfter(lastJoin));
  const peakRssMb = Math.max(...samplers.map((rss) => rss.peakMb()));
  const outcomes = records.map((r) => JSON.parse(r.value?.toString('utf8') ?? '{}') as AnsweredOutcome);
  const mismatches = mismatchedCodes(codeHistogram(outcomes.map((o) => o.code)), codeHistogram(dataset.expected));
  const inputsAnswered = new Set(outcomes.map((o) => `${o.source?.partition}:${o.source?.offset}`)).size;
  const stats = await databaseStats(infra.serverUrl, database, infra.statementStats);
  log(
    `${label}: ${result.events} outcomes for ${inputsAnswered} input messages in ${result.seconds} s = ${result.events_per_s} events/s, peak RSS ${peakRssMb.toFixed(0)} MiB, ${read.commitMarkers} commit markers on the outcome topic`,
  );
  return {
    outcome_delivery: mode,
    instances,
    ...result,
    joined_after_s: joins.map((at) => round((at - firstJoin) / 1000, 2)),
    group_joins: groupJoins,
    after_last_join: afterLastJoin,
    // The meter ran from the moment every instance was ready.
    ...perEventUse(resources, visibleAfter(allReady)),
    peak_rss_mb: round(peakRssMb, 1),
    db_round_trips_per_event: perEvent(stats, records.length),
    db_transactions: stats.transactions,
    events_per_transaction: round(records.length / Math.max(1, stats.transactions), 1),
    outcome_commit_markers: read.commitMarkers,
    outcome_abort_markers: read.abortMarkers,
    inputs_answered: inputsAnswered,
    outcomes_match_expected:
      records.length === expected && inputsAnswered === expected && Object.keys(mismatches).length === 0,
    mismatches,
    statements: stats.statements?.slice(0, 12) ?? null,
    cpu_profile_dir: cpuProfileDir,
  };
}

/** A steady load to offer: `name` keeps its database, group and topics apart from the other latency runs'. */
export interface OfferedLoad {
  name: string;
  eventsPerS: number;
}

/** End-to-end latency at a steady offered load, on a fresh database and a fresh input topic. */
export async function runServiceLatency(
  context: BenchContext,
  mode: OutcomeDelivery,
  load: OfferedLoad,
): Promise<ServiceLatency> {
  const { kafka, dataset, infra, options } = context;
  const name = runName(load.name, mode);
  const label = `${load.name} (${mode})`;
  const input = nameFor(context, `${name}_in`);
  await kafka.createTopics([input], options.partitions);
  context.createdTopics.push(input);
  const messages = dataset.messages.slice(0, load.eventsPerS * options.latencySeconds);
  const { service, port, database, groupId, output } = await launch(context, name, input, mode);
  const rss = sampleRss(service.pid);
  const producer = await kafka.connectProducer();
  let offered: Awaited<ReturnType<typeof paceLoad>>;
  let stages: StageSplit | null;
  const startedAt = Date.now();
  const stageWatch = watchStages(port, options.warmupSeconds * 1000);
  try {
    log(`${label}: offering ${messages.length} events at ${load.eventsPerS} events/s`);
    offered = await paceLoad(producer, input, messages, load.eventsPerS);
    await waitForGroup(kafka, groupId, input, {
      timeoutMs: 120_000,
      abortReason: () => (service.hasExited() ? 'the service exited (see its log)' : undefined),
    });
    stages = await stageWatch.finish();
  } finally {
    rss.stop();
    await producer.disconnect();
    await service.stop();
  }
  const inputs = (await kafka.readAll(input, messages.length, 60_000)).records;
  const read = await kafka.readAll(output, messages.length, 60_000);
  reportMarkerNotSeen(label, read);
  if (read.records.length !== messages.length)
    log(`${label}: ${read.records.length} outcomes read for ${messages.length} events`);
  const latency = outcomeLatencies(inputs, read.records, startedAt + options.warmupSeconds * 1000);
  const wait = commitWait(read.records);
  const stats = await databaseStats(infra.serverUrl, database, infra.statementStats);
  log(
    `${label}: p50 ${latency.p50_ms} ms, p95 ${latency.p95_ms} ms, p99 ${latency.p99_ms} ms over ${latency.samples} events; commit wait p50 ${wait.p50_ms} ms, p99 ${wait.p99_ms} ms`,
  );
  return {
    outcome_delivery: mode,
    ...latency,
    offered_events_per_s: offered.offered_events_per_s,
    seconds: offered.seconds,
    commit_wait_p50_ms: wait.p50_ms,
    commit_wait_p99_ms: wait.p99_ms,
    peak_rss_mb: round(rss.peakMb(), 1),
    db_round_trips_per_event: perEvent(stats, read.records.length),
    stages,
  };
}
