import pg from 'pg';
import { withDatabase } from '../../scripts/infra/pg-admin.js';
import { formatInstant, type Micros } from '../../src/domain/timestamp.js';
import type { DecisionEntry } from '../../src/processing/ports.js';
import { log, nameFor, type BenchContext } from '../context.js';
import { checkpoint, cloneDatabase } from '../database.js';
import { codeHistogram, mismatchedCodes } from '../dataset.js';
import { databaseStats, type StatementStat } from '../measure/pg-stats.js';
import { round, throughputFrom, type Throughput } from '../measure/throughput.js';
import { runPartitionsInTurn } from '../partitions-in-turn.js';
import { recordServiceWrites, type ChunkWrites } from '../recorded-writes.js';
import { decodedChunks, type DbLimitSettings } from './db-limit.js';

// (e) Postgres's own limit for the service's rows: what each chunk's
// transaction of the service writes (ledger, audit, state upserts; found
// beforehand by running the use case on an in-memory store) written the
// plainest fast way, with node-postgres and no reads or logic: one INSERT …
// unnest of typed arrays per table, one transaction per chunk, with the
// service's chunk size, pool and partition concurrency, on its own copy of
// the database. db-limit over pg-limit is what the service's reads and logic
// cost on top of writing its rows.

export interface PgLimit extends Throughput {
  chunk_size: number;
  partitions_at_once: number;
  db_round_trips_per_event: number | null;
  db_transactions: number;
  /** Ledger rows written, one per event the service records. */
  ledger_rows: number;
  /** The rows' codes are those of the rules' fold over the same events. */
  rows_match_expected: boolean;
  statements: StatementStat[] | null;
}

export async function runPgLimit(context: BenchContext, settings: DbLimitSettings): Promise<PgLimit> {
  const { infra, dataset } = context;
  const database = nameFor(context, 'pg_limit');
  const partitions = decodedChunks(context, settings.BATCH_MAX_SIZE);
  const writes = await recordServiceWrites(withDatabase(infra.serverUrl, context.templateDatabase), partitions);
  const url = await cloneDatabase(infra.serverUrl, context.templateDatabase, database);
  context.createdDatabases.push(database);

  const pool = new pg.Pool({ connectionString: url, max: settings.DATABASE_POOL_SIZE });
  let startedAt: number;
  let finishedAt: number;
  try {
    await checkpoint(infra.serverUrl);
    (await pool.connect()).release(); // the pool's first connection, outside the clock
    startedAt = Date.now();
    await runPartitionsInTurn(writes, settings.PARTITIONS_CONSUMED_CONCURRENTLY, (chunk) =>
      writeChunk(pool, chunk, settings.ENABLE_EVENT_AUDIT),
    );
    finishedAt = Date.now();
  } finally {
    await pool.end();
  }
  const events = writes.flat().reduce((sum, chunk) => sum + chunk.messages, 0);
  const entries = writes.flat().flatMap((chunk) => chunk.entries);
  const result = throughputFrom(startedAt, finishedAt, events);
  const stats = await databaseStats(infra.serverUrl, database, infra.statementStats);
  const mismatches = mismatchedCodes(
    codeHistogram(entries.map((entry) => entry.code)),
    codeHistogram(dataset.expected),
  );
  log(
    `pg-limit: ${result.events} events in ${result.seconds} s = ${result.events_per_s} events/s, ${stats.transactions} transactions`,
  );
  return {
    ...result,
    chunk_size: settings.BATCH_MAX_SIZE,
    partitions_at_once: settings.PARTITIONS_CONSUMED_CONCURRENTLY,
    db_round_trips_per_event: stats.round_trips === null ? null : round(stats.round_trips / events, 4),
    db_transactions: stats.transactions,
    ledger_rows: entries.length,
    rows_match_expected: Object.keys(mismatches).length === 0,
    statements: stats.statements?.slice(0, 12) ?? null,
  };
}

const instant = (micros: Micros | null): string | null => (micros === null ? null : formatInstant(micros));
const json = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

/** One chunk in one transaction: the state upserts, then the ledger rows, then (audit on) the audit rows. */
async function writeChunk(pool: pg.Pool, { entries, changes }: ChunkWrites, audit: boolean): Promise<void> {
  const processedAt = new Date().toISOString();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    if (changes.length > 0) {
      await client.query(
        `INSERT INTO component_states (contract_id, component_type, start_date, start_event_created_at, end_date,
                                       end_event_created_at, updated_at)
         SELECT *, $7::timestamptz FROM unnest($1::bigint[], $2::component_type[], $3::date[], $4::timestamptz[],
                                               $5::date[], $6::timestamptz[])
         ON CONFLICT (contract_id, component_type) DO UPDATE SET
           start_date = EXCLUDED.start_date, start_event_created_at = EXCLUDED.start_event_created_at,
           end_date = EXCLUDED.end_date, end_event_created_at = EXCLUDED.end_event_created_at,
           folded_created_at = NULL, folded_event_id = NULL, updated_at = EXCLUDED.updated_at`,
        [
          changes.map((c) => c.contractId),
          changes.map((c) => c.component),
          changes.map((c) => c.state.startDate),
          changes.map((c) => instant(c.state.startEventCreatedAt)),
          changes.map((c) => c.state.endDate),
          changes.map((c) => instant(c.state.endEventCreatedAt)),
          processedAt,
        ],
      );
    }
    const column = <T>(pick: (entry: DecisionEntry) => T): T[] => entries.map(pick);
    await client.query(
      `INSERT INTO processed_events (event_id, status, code, message, error, source, fingerprint, contract_id,
                                     component_type, action, event_created_at, processed_at)
       SELECT *, $12::timestamptz FROM unnest($1::text[], $2::outcome_status[], $3::text[], $4::text[], $5::jsonb[],
                                             $6::jsonb[], $7::text[], $8::bigint[], $9::component_type[], $10::text[],
                                             $11::timestamptz[])`,
      [
        column((e) => e.eventId),
        column((e) => e.status),
        column((e) => e.code),
        column((e) => e.message),
        column((e) => json(e.error)),
        column((e) => json(e.source)),
        column((e) => e.fingerprint),
        column((e) => e.contractId),
        column((e) => e.component),
        column((e) => e.action),
        column((e) => instant(e.eventCreatedAt)),
        processedAt,
      ],
    );
    if (audit) {
      const kafka = (e: DecisionEntry) => (e.source.transport === 'kafka' ? e.source : null);
      await client.query(
        `INSERT INTO event_audit (event_id, contract_id, contract_number, event_type, component_type, action, event_date,
                                  event_created_at, status, code, message, error, kafka_topic, kafka_partition,
                                  kafka_offset, processed_at)
         SELECT *, $16::timestamptz FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::component_type[],
                                               $6::text[], $7::date[], $8::timestamptz[], $9::outcome_status[],
                                               $10::text[], $11::text[], $12::jsonb[], $13::text[], $14::int[],
                                               $15::bigint[])`,
        [
          column((e) => e.eventId),
          column((e) => e.contractId),
          column((e) => e.contractNumber),
          column((e) => e.eventType),
          column((e) => e.component),
          column((e) => e.action),
          column((e) => e.eventDate),
          column((e) => instant(e.eventCreatedAt)),
          column((e) => e.status),
          column((e) => e.code),
          column((e) => e.message),
          column((e) => json(e.error)),
          column((e) => kafka(e)?.topic ?? null),
          column((e) => kafka(e)?.partition ?? null),
          column((e) => kafka(e)?.offset ?? null),
          processedAt,
        ],
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
