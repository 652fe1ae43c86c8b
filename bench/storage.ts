import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/processing/clock.js';
import { createBatchDecider, type BatchDeciderOptions } from '../src/processing/decide-batch.js';
import type { Outcome } from '../src/processing/outcome.js';
import { createDecisionStore } from '../src/store/decision-store.js';
import { appendToOutbox } from '../src/store/outcome-outbox.js';
import { createPrismaClient } from '../src/store/prisma-client.js';
import { withClient, withDatabase } from '../scripts/infra/pg-admin.js';
import { log } from './context.js';
import { createTemplate, dropDatabases } from './database.js';
import { generateDataset, type Dataset } from './dataset.js';
import { decodedChunks } from './phases/db-limit.js';

// `npm run bench:storage` (issue 20, item 5): what each decided event leaves
// in Postgres. The benchmark's workload is decided through the service's own
// batch decider (as the db-limit phase does, no Kafka) into a fresh database,
// once per event order, and every table the service writes is then measured
// with pg_total_relation_size (heap, TOAST, indexes, free-space and
// visibility maps) after a VACUUM ANALYZE, minus the empty table's size:
//
// - EVENT_ORDER=arrival (the default): processed_events, event_audit,
//   component_states;
// - EVENT_ORDER=created_at, the same events with every run of 20 messages
//   reversed, so that later-created events arrive first and earlier
//   decisions are revised: event_revisions too;
// - outcome_outbox: the arrival run's outcomes appended through the HTTP
//   path's own appendToOutbox (the relay deletes rows once published, so the
//   outbox holds a backlog, not history).

const USAGE = 'usage: npm run bench:storage -- [--events N] [--contracts N] [--database-url URL] [--output FILE]';
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    contracts: { type: 'string', default: '5000' },
    'database-url': {
      type: 'string',
      default: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    },
    output: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const TABLES = ['processed_events', 'event_audit', 'event_revisions', 'component_states', 'outcome_outbox'] as const;
type Table = (typeof TABLES)[number];

interface TableSize {
  rows: number;
  heap_bytes: number;
  index_bytes: number;
  total_bytes: number;
  /** Each index's own size: the random-key ones are the working set to keep in memory. */
  indexes: Record<string, number>;
}

interface TableFigures extends TableSize {
  bytes_per_row: number | null;
  bytes_per_event: number;
}

const BATCH = 1000;
const PARTITIONS = 6;
const serverUrl = values['database-url'];
const runId = randomBytes(3).toString('hex');
const dataset = generateDataset({ contracts: Number(values.contracts), events: Number(values.events) });
const databases: string[] = [];

/** Sizes after VACUUM ANALYZE; total = heap + TOAST + indexes + the free-space and visibility maps. */
async function tableSizes(url: string): Promise<Record<Table, TableSize>> {
  return withClient(url, async (client) => {
    await client.query('VACUUM ANALYZE');
    const sizes = {} as Record<Table, TableSize>;
    for (const table of TABLES) {
      const { rows } = await client.query<{ rows: string; heap: string; indexes: string; total: string }>(
        `SELECT (SELECT count(*) FROM ${table})::text AS rows, pg_relation_size($1)::text AS heap,
                pg_indexes_size($1)::text AS indexes, pg_total_relation_size($1)::text AS total`,
        [table],
      );
      const row = rows[0]!;
      const indexes = await client.query<{ name: string; bytes: string }>(
        `SELECT indexrelname AS name, pg_relation_size(indexrelid)::text AS bytes
         FROM pg_stat_user_indexes WHERE relname = $1 ORDER BY indexrelname`,
        [table],
      );
      sizes[table] = {
        indexes: Object.fromEntries(indexes.rows.map((index) => [index.name, Number(index.bytes)])),
        rows: Number(row.rows),
        heap_bytes: Number(row.heap),
        index_bytes: Number(row.indexes),
        total_bytes: Number(row.total),
      };
    }
    return sizes;
  });
}

/** A migrated and seeded database of this run's; returns its URL. */
async function freshDatabase(what: string): Promise<string> {
  const name = `bench_storage_${runId}_${what}`;
  databases.push(name);
  await createTemplate(serverUrl, name, dataset.contracts);
  return withDatabase(serverUrl, name);
}

/** Decides `workload` through the service's batch decider, each partition's chunks in order. */
async function decideAll(
  url: string,
  workload: Dataset,
  eventOrder: BatchDeciderOptions['eventOrder'],
): Promise<Outcome[]> {
  const prisma = createPrismaClient(url, 4);
  const decide = createBatchDecider({
    store: createDecisionStore(prisma),
    clock: systemClock,
    auditEnabled: true,
    eventOrder,
  });
  const outcomes: Outcome[] = [];
  try {
    const context = { dataset: workload, inputTopic: 'contract-events', options: { partitions: PARTITIONS } };
    for (const partition of decodedChunks(context, BATCH))
      for (const chunk of partition) outcomes.push(...(await decide(chunk)));
  } finally {
    await prisma.$disconnect();
  }
  return outcomes;
}

async function appendOutbox(url: string, outcomes: readonly Outcome[]): Promise<void> {
  const prisma = createPrismaClient(url, 1);
  try {
    for (let at = 0; at < outcomes.length; at += BATCH)
      await prisma.$transaction((tx) => appendToOutbox(tx, outcomes.slice(at, at + BATCH)));
  } finally {
    await prisma.$disconnect();
  }
}

/** Every run of `size` messages in reverse: later-created events of a contract arrive before earlier ones. */
function reversedRuns(workload: Dataset, size: number): Dataset {
  const messages = [];
  for (let at = 0; at < workload.messages.length; at += size)
    messages.push(...workload.messages.slice(at, at + size).reverse());
  return { ...workload, messages };
}

function figures(
  table: Table,
  before: Record<Table, TableSize>,
  after: Record<Table, TableSize>,
  events: number,
): TableFigures {
  const grown = {
    indexes: Object.fromEntries(
      Object.entries(after[table].indexes).map(([name, bytes]) => [name, bytes - (before[table].indexes[name] ?? 0)]),
    ),
    rows: after[table].rows - before[table].rows,
    heap_bytes: after[table].heap_bytes - before[table].heap_bytes,
    index_bytes: after[table].index_bytes - before[table].index_bytes,
    total_bytes: after[table].total_bytes - before[table].total_bytes,
  };
  return {
    ...grown,
    bytes_per_row: grown.rows === 0 ? null : Math.round(grown.total_bytes / grown.rows),
    bytes_per_event: Math.round(grown.total_bytes / events),
  };
}

try {
  const events = dataset.messages.length;
  log(
    `storage: ${events} events over ${dataset.contracts.length} contracts, into ${serverUrl.replace(/\/\/.*@/, '//')}`,
  );

  const arrivalUrl = await freshDatabase('arrival');
  const empty = await tableSizes(arrivalUrl);
  const outcomes = await decideAll(arrivalUrl, dataset, 'arrival');
  const arrival = await tableSizes(arrivalUrl);
  await appendOutbox(arrivalUrl, outcomes);
  const withOutbox = await tableSizes(arrivalUrl);

  const createdAtUrl = await freshDatabase('created_at');
  await decideAll(createdAtUrl, reversedRuns(dataset, 20), 'created_at');
  const createdAt = await tableSizes(createdAtUrl);

  const result = {
    generated_at: new Date().toISOString(),
    events,
    contracts: dataset.contracts.length,
    arrival: Object.fromEntries(
      (['processed_events', 'event_audit', 'component_states'] as const).map((t) => [
        t,
        figures(t, empty, arrival, events),
      ]),
    ),
    created_at_reversed_runs_of_20: Object.fromEntries(
      (['processed_events', 'event_audit', 'event_revisions', 'component_states'] as const).map((t) => [
        t,
        figures(t, empty, createdAt, events),
      ]),
    ),
    outcome_outbox: figures('outcome_outbox', arrival, withOutbox, events),
  };
  console.log('\ntable               mode         rows   bytes/row   bytes/event   (heap + TOAST and maps + indexes)');
  const line = (table: string, mode: string, f: TableFigures) =>
    console.log(
      `${table.padEnd(19)} ${mode.padEnd(10)} ${String(f.rows).padStart(7)}  ${String(f.bytes_per_row ?? '-').padStart(10)}  ${String(f.bytes_per_event).padStart(12)}   (${f.heap_bytes} + ${f.total_bytes - f.heap_bytes - f.index_bytes} + ${f.index_bytes})`,
    );
  for (const [table, f] of Object.entries(result.arrival)) line(table, 'arrival', f);
  for (const [table, f] of Object.entries(result.created_at_reversed_runs_of_20)) line(table, 'created_at', f);
  line('outcome_outbox', 'http', result.outcome_outbox);
  console.log('\nindex bytes per event (arrival; event_revisions: created_at):');
  const indexLines = { ...result.arrival, event_revisions: figures('event_revisions', empty, createdAt, events) };
  for (const [table, f] of Object.entries(indexLines))
    for (const [name, bytes] of Object.entries(f.indexes))
      console.log(`  ${`${table}.${name}`.padEnd(72)} ${String(Math.round(bytes / events)).padStart(5)}`);
  if (values.output) writeFileSync(values.output, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await dropDatabases(serverUrl, databases);
}
