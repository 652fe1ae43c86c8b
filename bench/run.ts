import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { kafkaSecurity } from '../src/kafka/kafka-security.js';
import { createBenchKafka } from './baselines/kafkajs.js';
import { log, nameFor, type BenchContext } from './context.js';
import { createTemplate, dropDatabases, serverVersion } from './database.js';
import { generateDataset } from './dataset.js';
import { provideInfra } from './infra.js';
import { latestProfile, summariseProfile } from './measure/cpu-profile.js';
import { cpuBusyShare } from './measure/machine-load.js';
import { readOptions } from './options.js';
import { runCeiling } from './phases/ceiling.js';
import { runDbLimit } from './phases/db-limit.js';
import { runLoadedLatency } from './phases/loaded-latency.js';
import { filledText, runFilledPhases } from './phases/filled.js';
import { runPgLimit } from './phases/pg-limit.js';
import { filledCluster } from './filled/cache.js';
import { limitBreakdowns } from './statement-breakdown.js';
import { runNaive } from './phases/naive.js';
import { runScaleOut } from './phases/scale-out.js';
import { runServiceLatency, runServiceThroughput } from './phases/service.js';
import { buildReport, formatTable, writeReport } from './report.js';
import { buildService } from './service-process.js';

// `npm run bench`: the service against its ceiling, the database's own limit and the naive
// implementation, on the same pre-loaded events, in one run. See bench/RESULTS.md
// "Performance" for what is measured and how.

const options = readOptions(process.argv.slice(2));
const startedAt = new Date();
const busyAtStart = await cpuBusyShare();

log('building the service (tsc -p tsconfig.build.json)');
buildService();
const dataset = generateDataset({ contracts: options.contracts, events: options.events });
log(`workload: ${dataset.messages.length} events over ${dataset.contracts.length} contracts`);

const cluster = options.filled && { ...(await filledCluster(options.filled)), size: options.filled };
const infraStarted = Date.now();
const infra = await provideInfra({ postgresData: cluster ? cluster.dataDir : undefined });
const infraSeconds = Math.round((Date.now() - infraStarted) / 1000);
log(`infrastructure: ${infra.description}; pg_stat_statements ${infra.statementStats ? 'on' : 'unavailable'}`);
const config = loadConfig(process.env);
const kafka = createBenchKafka(infra.brokers, kafkaSecurity(config));
const runId = randomBytes(3).toString('hex');
const context: BenchContext = {
  options,
  infra,
  kafka,
  dataset,
  inputTopic: `bench_${runId}_events`,
  templateDatabase: `bench_${runId}_template`,
  runId,
  createdTopics: [],
  createdDatabases: [],
};

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  await createTemplate(infra.serverUrl, context.templateDatabase, dataset.contracts);
  context.createdDatabases.push(context.templateDatabase);
  await kafka.createTopics([context.inputTopic], options.partitions);
  context.createdTopics.push(context.inputTopic);
  await preload(context);
  await warmUpTransactions(context);

  const ceiling = await runCeiling(context);
  const dbLimit = await runDbLimit(context, config);
  const pgLimit = await runPgLimit(context, config);
  const naive = await runNaive(context);
  const profileDir = options.cpuProf ? fileURLToPath(new URL('results/profiles/', import.meta.url)) : null;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  // Both outcome delivery modes on the same events; transactional (the default) is the headline, and the one profiled.
  const throughput = await runServiceThroughput(context, 'transactional', profileDir);
  const throughputAtLeastOnce = await runServiceThroughput(context, 'at-least-once', null);
  const scaleOut = options.scaleOut ? await runScaleOut(context) : null;
  const latency = await runServiceLatency(context, 'transactional', {
    name: 'latency',
    eventsPerS: options.latencyRate,
  });
  const latencyAtLeastOnce = await runServiceLatency(context, 'at-least-once', {
    name: 'latency',
    eventsPerS: options.latencyRate,
  });
  // Half of what this run's transactional service just sustained: issue 11's second latency point.
  const latencyHalfMax = await runServiceLatency(context, 'transactional', {
    name: 'latency_half_max',
    eventsPerS: Math.round(throughput.events_per_s / 2),
  });
  const latencyHalfMaxLoaded = options.backgroundLoad
    ? await runLoadedLatency(context, Math.round(throughput.events_per_s / 2))
    : null;
  const profileFile = profileDir ? latestProfile(profileDir) : undefined;
  const filled = cluster && (await runFilledPhases(context, config, { ...cluster, copyAndStartSeconds: infraSeconds }));

  const report = buildReport(
    {
      ceiling,
      dbLimit,
      pgLimit,
      naive,
      throughput,
      latency,
      latencyHalfMax,
      latencyHalfMaxLoaded,
      throughputAtLeastOnce,
      latencyAtLeastOnce,
      scaleOut,
      profile: profileFile ? summariseProfile(profileFile) : null,
    },
    {
      startedAt,
      busyAtStart,
      kafkaVersion: infra.kafkaVersion,
      postgresVersion: await serverVersion(infra.serverUrl),
      infra: infra.description,
      statementStats: infra.statementStats,
      workload: {
        events: dataset.messages.length,
        contracts: dataset.contracts.length,
        partitions: options.partitions,
        naive_prefix_events: options.naiveEvents,
        naive_time_cap_s: options.naiveSeconds,
        latency_offered_events_per_s: options.latencyRate,
        latency_seconds: options.latencySeconds,
        latency_warmup_s: options.warmupSeconds,
        background_load: options.backgroundLoad ? 'a CPU hog on one core during latency_half_max_loaded' : 'none',
        outcome_delivery:
          'transactional (service, latency_2000, latency_half_max) and at-least-once (service_at_least_once, latency_2000_at_least_once)',
      },
      settings: {
        BATCH_MAX_SIZE: config.BATCH_MAX_SIZE,
        PARTITIONS_CONSUMED_CONCURRENTLY: config.PARTITIONS_CONSUMED_CONCURRENTLY,
        DATABASE_POOL_SIZE: config.DATABASE_POOL_SIZE,
        LOG_LEVEL: config.LOG_LEVEL,
        ENABLE_EVENT_AUDIT: config.ENABLE_EVENT_AUDIT,
      },
    },
  );
  writeReport(filled ? { ...report, filled } : report, options.output);
  console.log(`\n${formatTable(report)}\n`);
  console.log(`${limitBreakdowns({ db_limit: dbLimit, pg_limit: pgLimit })}\n`);
  if (filled) console.log(`${filledText(filled, [dbLimit, pgLimit, throughput, throughputAtLeastOnce])}\n`);
  if (report.profile) printProfile(report.profile);
  for (const [name, run] of [
    ['service (transactional)', throughput],
    ['service (at-least-once)', throughputAtLeastOnce],
    ...(scaleOut ? ([[`service (transactional, ${scaleOut.instances} instances)`, scaleOut]] as const) : []),
    ['db-limit', dbLimit],
  ] as const) {
    if (!run.outcomes_match_expected) {
      console.log(
        `${name}: ${run.events} outcomes for ${dataset.messages.length} events; codes that differ from the rules' fold: ${JSON.stringify(run.mismatches)}`,
      );
    }
  }
  log(`wrote ${options.output}; the whole run took ${report.duration_s} s`);
} finally {
  if (!interrupted) await cleanUp();
}

/** Loads the workload into the input topic before anything consumes it. */
async function preload(ctx: BenchContext): Promise<void> {
  const started = Date.now();
  const producer = await ctx.kafka.connectProducer();
  const messages = ctx.dataset.messages;
  for (let at = 0; at < messages.length; at += 10_000)
    await producer.send(ctx.inputTopic, messages.slice(at, at + 10_000));
  await producer.disconnect();
  log(`pre-loaded ${messages.length} events into ${ctx.inputTopic} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Outside any measured run: the broker's transaction state topic is created on the first use of transactions. */
async function warmUpTransactions(ctx: BenchContext): Promise<void> {
  const started = Date.now();
  const topic = nameFor(ctx, 'warm_up');
  await ctx.kafka.createTopics([topic], 1);
  ctx.createdTopics.push(topic);
  await ctx.kafka.warmUpTransactions(topic);
  log(`transactions warmed up (transaction state topic in place) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function printProfile(profile: NonNullable<ReturnType<typeof buildReport>['profile']>): void {
  console.log(`CPU profile of the service (${profile.file}): ${profile.busy_ms} ms busy, ${profile.idle_ms} ms idle`);
  console.log('  self time by area:');
  for (const line of profile.by_area) console.log(`    ${line.percent.toFixed(1).padStart(5)}%  ${line.name}`);
  console.log('  top functions by self time:');
  for (const line of profile.top_self) console.log(`    ${line.percent.toFixed(1).padStart(5)}%  ${line.name}`);
  console.log("  the service's own functions by inclusive time:");
  for (const line of profile.top_inclusive_service)
    console.log(`    ${line.percent.toFixed(1).padStart(5)}%  ${line.name}`);
  console.log('');
}

/** Local infrastructure goes away whole; on configured servers only what this run created is removed. */
async function cleanUp(): Promise<void> {
  if (process.env.KAFKA_BROKERS) await kafka.deleteTopics(context.createdTopics).catch(() => undefined);
  if (process.env.DATABASE_URL) await dropDatabases(infra.serverUrl, context.createdDatabases);
  await infra.stop();
}
