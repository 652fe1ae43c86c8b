import { createPrismaClient } from '../../src/store/prisma-client.js';
import { naiveHandler } from '../baselines/naive.js';
import { log, nameFor, type BenchContext } from '../context.js';
import { cloneDatabase } from '../database.js';
import { databaseStats } from '../measure/pg-stats.js';
import { round, throughputFrom } from '../measure/throughput.js';

export interface NaiveResult {
  events_per_s: number;
  /** The rate is measured on a prefix and assumed to hold for the rest. */
  measured_events: number;
  measured_seconds: number;
  extrapolated: boolean;
  db_round_trips_per_event: number | null;
  db_transactions_per_event: number;
}

/** (b) The naive baseline on its own copy of the database, measured on a prefix of the events. */
export async function runNaive(context: BenchContext): Promise<NaiveResult> {
  const { kafka, options, infra } = context;
  const database = nameFor(context, 'naive');
  const output = nameFor(context, 'naive_out');
  const url = await cloneDatabase(infra.serverUrl, context.templateDatabase, database);
  context.createdDatabases.push(database);
  await kafka.createTopics([output], options.partitions, { appendTime: true });
  context.createdTopics.push(output);

  // Same pool size and partition concurrency as the service's defaults, so the comparison is about batching.
  const prisma = createPrismaClient(url, 10);
  const producer = await kafka.connectProducer();
  const handle = naiveHandler(prisma, producer, output);
  let done = 0;
  let measured = 0;
  let finishedAt = 0;
  let release: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (release = resolve));
  const finish = () => {
    if (finishedAt) return;
    finishedAt = Date.now();
    measured = done;
    release();
  };
  const consumer = await kafka.eachMessage({
    groupId: nameFor(context, 'naive'),
    topic: context.inputTopic,
    concurrency: 3,
    handle: async (message) => {
      if (finishedAt) return; // past the prefix: leave the rest unprocessed
      await handle(message);
      done++;
      if (done >= options.naiveEvents) finish();
    },
  });
  const joinedAt = await consumer.joinedAt;
  const cap = setTimeout(finish, options.naiveSeconds * 1000);
  await finished;
  clearTimeout(cap);
  await consumer.stop();
  await producer.disconnect();
  await prisma.$disconnect();

  const result = throughputFrom(joinedAt, finishedAt, measured);
  const stats = await databaseStats(infra.serverUrl, database, infra.statementStats);
  const processed = done; // the statistics also saw the few events in flight at the cut
  log(
    `naive: ${measured} events in ${result.seconds} s = ${result.events_per_s} events/s (prefix of ${context.dataset.messages.length}, extrapolated)`,
  );
  return {
    events_per_s: result.events_per_s,
    measured_events: measured,
    measured_seconds: result.seconds,
    extrapolated: measured < context.dataset.messages.length,
    db_round_trips_per_event: stats.round_trips === null ? null : round(stats.round_trips / processed, 2),
    db_transactions_per_event: round(stats.transactions / processed, 3),
  };
}
