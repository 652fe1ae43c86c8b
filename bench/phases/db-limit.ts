import type { Config } from '../../src/config.js';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider } from '../../src/processing/decide-batch.js';
import type { DecodedMessage } from '../../src/processing/decoded-message.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { createPrismaClient } from '../../src/store/prisma-client.js';
import { keyPartitioner } from '../baselines/kafkajs.js';
import { log, nameFor, type BenchContext } from '../context.js';
import { checkpoint, cloneDatabase } from '../database.js';
import { codeHistogram, mismatchedCodes } from '../dataset.js';
import { databaseStats, type StatementStat } from '../measure/pg-stats.js';
import type { BenchOptions } from '../options.js';
import { round, throughputFrom, type Throughput } from '../measure/throughput.js';
import { runPartitionsInTurn } from '../partitions-in-turn.js';

// (d) The database's own limit: the service's use case (lock and read the
// contracts, read the ledger, decide, write the states, the ledger and the
// audit, in one transaction per chunk) driven straight against the same
// Postgres, with the service's chunk size, pool and partition concurrency and
// no Kafka. Decoding is the service's work, not the database's: it is done
// before the clock starts.

/** The service settings the phase copies (read from the environment, like the service's). */
export type DbLimitSettings = Pick<
  Config,
  'BATCH_MAX_SIZE' | 'PARTITIONS_CONSUMED_CONCURRENTLY' | 'DATABASE_POOL_SIZE' | 'ENABLE_EVENT_AUDIT' | 'EVENT_ORDER'
>;

export interface DbLimit extends Throughput {
  chunk_size: number;
  partitions_at_once: number;
  db_round_trips_per_event: number | null;
  db_transactions: number;
  events_per_transaction: number;
  /** One outcome per event, with the codes of the sequential fold of the rules over the same events. */
  outcomes_match_expected: boolean;
  mismatches: Record<string, { expected: number; got: number }>;
  statements: StatementStat[] | null;
}

export async function runDbLimit(context: BenchContext, settings: DbLimitSettings): Promise<DbLimit> {
  const { infra, dataset } = context;
  const database = nameFor(context, 'db_limit');
  const url = await cloneDatabase(infra.serverUrl, context.templateDatabase, database);
  context.createdDatabases.push(database);
  const partitions = decodedChunks(context, settings.BATCH_MAX_SIZE);

  const prisma = createPrismaClient(url, settings.DATABASE_POOL_SIZE);
  const decideBatch = createBatchDecider({
    store: createDecisionStore(prisma),
    clock: systemClock,
    auditEnabled: settings.ENABLE_EVENT_AUDIT,
    eventOrder: settings.EVENT_ORDER,
  });
  const codes: string[] = [];
  let startedAt: number;
  let finishedAt: number;
  try {
    await checkpoint(infra.serverUrl);
    await prisma.$queryRaw`SELECT 1`; // the pool's first connection, outside the clock
    startedAt = Date.now();
    await runPartitionsInTurn(partitions, settings.PARTITIONS_CONSUMED_CONCURRENTLY, async (chunk) => {
      for (const outcome of await decideBatch(chunk)) codes.push(outcome.message.code);
    });
    finishedAt = Date.now();
  } finally {
    await prisma.$disconnect();
  }
  const result = throughputFrom(startedAt, finishedAt, codes.length);
  const mismatches = mismatchedCodes(codeHistogram(codes), codeHistogram(dataset.expected));
  const stats = await databaseStats(infra.serverUrl, database, infra.statementStats);
  log(
    `db-limit: ${result.events} events in ${result.seconds} s = ${result.events_per_s} events/s, ${stats.transactions} transactions`,
  );
  return {
    ...result,
    chunk_size: settings.BATCH_MAX_SIZE,
    partitions_at_once: settings.PARTITIONS_CONSUMED_CONCURRENTLY,
    db_round_trips_per_event: stats.round_trips === null ? null : round(stats.round_trips / codes.length, 4),
    db_transactions: stats.transactions,
    events_per_transaction: round(codes.length / Math.max(1, stats.transactions), 1),
    outcomes_match_expected: codes.length === dataset.messages.length && Object.keys(mismatches).length === 0,
    mismatches,
    statements: stats.statements?.slice(0, 12) ?? null,
  };
}

/**
 * The events as the service's consumer gets them: split over the input
 * topic's partitions by key, with their offsets there (the topic was empty
 * before the pre-load), decoded, and cut into chunks of `chunkSize`.
 */
export function decodedChunks(
  context: Pick<BenchContext, 'dataset' | 'inputTopic'> & { options: Pick<BenchOptions, 'partitions'> },
  chunkSize: number,
): DecodedMessage[][][] {
  const partitionOf = keyPartitioner(context.options.partitions);
  const byPartition: DecodedMessage[][] = Array.from({ length: context.options.partitions }, () => []);
  for (const message of context.dataset.messages) {
    if (message.key === null) throw new Error('every benchmark event is keyed by its contract number');
    const partition = partitionOf(message.key);
    const decoded = byPartition[partition]!;
    const source = {
      transport: 'kafka' as const,
      topic: context.inputTopic,
      partition,
      offset: String(decoded.length),
    };
    decoded.push(decodeMessage({ key: Buffer.from(message.key), value: Buffer.from(message.value), source }));
  }
  return byPartition.map((messages) =>
    Array.from({ length: Math.ceil(messages.length / chunkSize) }, (_, i) =>
      messages.slice(i * chunkSize, (i + 1) * chunkSize),
    ),
  );
}
