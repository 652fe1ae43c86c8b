import type pg from 'pg';
import { withClient } from '../../scripts/infra/pg-admin.js';
import { COMPONENT_TYPES, EVENT_CATALOGUE, EVENT_TYPES } from '../../src/domain/catalogue.js';
import { DECISION_MESSAGES } from '../../src/domain/outcome-codes.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import type { InvalidMessage } from '../../src/processing/decoded-message.js';
import { log } from '../context.js';

// A realistic history in a migrated database: `contracts` contracts
// (F0000001…, which the workload's C…/X… numbers never meet; 70% with every
// component) and `events` audited events over 2023 and 2024 (before the
// workload's 2025), each contract's events spread over the two years: per
// component an accepted start, an accepted end, then rejected restarts
// (RESTART_AFTER_END); 1% invalid messages. Half the events carry a random
// looking 64-hex producer id, half the `derived:<fingerprint>` id the service
// derives; fingerprints are the service's SHA-256 of type, contract number,
// date and created_at. The states are folded from the audit's accepted
// events. Rows are generated inside Postgres (INSERT … SELECT over
// generate_series) with the indexes and constraints dropped and rebuilt
// afterwards, then frozen and analysed as an old, vacuumed database is.

export interface FillSize {
  contracts: number;
  events: number;
}

const TOPIC = 'contract-events';
const PARTITIONS = 6;
const BATCH = 1_000_000;

export async function fillDatabase(url: string, size: FillSize): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(`SET maintenance_work_mem = '512MB'`);
    await client.query('SET synchronous_commit = off');
    const keep = await dropIndexes(client);
    await insertContracts(client, size.contracts);
    const invalid = Math.floor(size.events / 100);
    const valid = size.events - invalid;
    for (let from = 0; from < valid; from += BATCH) {
      const to = Math.min(valid, from + BATCH) - 1;
      await insertEvents(client, validRows(size.contracts, valid), [from, to]);
      log(`fill: ${to + 1} of ${valid} valid events`);
    }
    const samples = invalidSamples();
    await insertEvents(client, invalidRows(valid, invalid), [
      samples.map((s) => s.code),
      samples.map((s) => s.error.message),
      samples.map((s) => JSON.stringify(s.error)),
    ]);
    await client.query(FOLD_STATES);
    log('fill: rows written; rebuilding indexes and constraints');
    for (const statement of keep) await client.query(statement);
    await client.query('VACUUM (FREEZE, ANALYZE)');
  });
}

/**
 * The ledger and audit rows of the events `rows` generates, in arrival order
 * (j): replay folds the audit in id order, the order the events were decided in.
 */
async function insertEvents(client: pg.Client, rows: string, params: unknown[]): Promise<void> {
  await client.query(
    `INSERT INTO processed_events ${LEDGER_COLUMNS} SELECT ${LEDGER_VALUES} FROM (${rows}) r ORDER BY r.j`,
    params,
  );
  await client.query(
    `INSERT INTO event_audit ${AUDIT_COLUMNS} SELECT ${AUDIT_VALUES} FROM (${rows}) r ORDER BY r.j`,
    params,
  );
}

/**
 * Drops the filled tables' indexes and constraints (a bulk load is much
 * faster into bare tables) and returns the statements that rebuild them as
 * the migrations made them: unique ones and primary keys first, foreign keys
 * last.
 */
async function dropIndexes(client: pg.Client): Promise<string[]> {
  const tables = `('contracts', 'component_states', 'processed_events', 'event_audit')`;
  const constraints = await client.query<{ tbl: string; name: string; def: string; contype: string }>(
    `SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, pg_get_constraintdef(c.oid) AS def, c.contype::text
     FROM pg_constraint c WHERE c.conrelid::regclass::text IN ${tables} AND c.contype IN ('p', 'u', 'f')
     ORDER BY c.contype = 'f' DESC`,
  );
  const indexes = await client.query<{ name: string; def: string }>(
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes
     WHERE schemaname = 'public' AND tablename IN ${tables}
       AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))`,
  );
  for (const c of constraints.rows) await client.query(`ALTER TABLE ${c.tbl} DROP CONSTRAINT ${c.name}`);
  for (const i of indexes.rows) await client.query(`DROP INDEX ${i.name}`);
  const add = (c: { tbl: string; name: string; def: string }) =>
    `ALTER TABLE ${c.tbl} ADD CONSTRAINT ${c.name} ${c.def}`;
  const keys = constraints.rows.filter((c) => c.contype !== 'f');
  const foreign = constraints.rows.filter((c) => c.contype === 'f');
  return [...keys.map(add), ...indexes.rows.map((i) => i.def), ...foreign.map(add)];
}

async function insertContracts(client: pg.Client, count: number): Promise<void> {
  // Every non-empty subset of the components but the full one, for the 30% that lack some.
  const partial = [1, 2, 3, 4, 5, 6].map((bits) => COMPONENT_TYPES.filter((_, i) => bits & (1 << i)));
  await client.query(
    `INSERT INTO contracts (id, contract_number, components, created_at)
     SELECT i, 'F' || lpad(i::text, 7, '0'),
            CASE WHEN (i * 7919) % 10 < 7 THEN $2::component_type[]
                 ELSE ($3::text[])[1 + (i * 31) % 6]::component_type[] END,
            timestamptz '2022-12-01 00:00:00+00' + (i % 31) * interval '1 day'
     FROM generate_series(1, $1::bigint) AS i`,
    [count, [...COMPONENT_TYPES], partial.map((set) => `{${set.join(',')}}`)],
  );
  await client.query(`SELECT setval('contracts_id_seq', $1::bigint)`, [count]);
}

const MICROS_OVER_TWO_YEARS = 730 * 86_400 * 1_000_000;
const TYPE_OF = `CASE component::text || '/' || action ${EVENT_TYPES.map(
  (type) => `WHEN '${EVENT_CATALOGUE[type].component}/${EVENT_CATALOGUE[type].action}' THEN '${type}'`,
).join(' ')} END`;
const INSTANT_TEXT = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Valid event j (of `valid`) belongs to contract j % contracts + 1, as its
 * k-th event (k = j / contracts), on component k % L of its L components, as
 * that component's n-th event (n = k / L): starts at n = 0, ends at n = 1,
 * rejected restarts after that. created_at grows with j across the two years.
 */
function validRows(contracts: number, valid: number): string {
  const step = Math.max(1, Math.floor(MICROS_OVER_TWO_YEARS / valid));
  const at = (j: string) =>
    `timestamptz '2023-01-01 00:00:00+00' + (${j} * ${step} + (${j} * 7919) % 1000000) * interval '1 microsecond'`;
  return `
    SELECT e.*, ${TYPE_OF} AS event_type, NULL::text AS event_id, NULL::timestamptz AS processed_at,
           NULL::jsonb AS error,
           encode(sha256(convert_to(concat_ws(E'\\n', ${TYPE_OF}, contract_number, event_date::text,
             ${INSTANT_TEXT('event_created_at')}), 'UTF8')), 'hex') AS fingerprint
    FROM (
      SELECT d.*, CASE WHEN n = 0 THEN 'start' WHEN n = 1 THEN 'end' ELSE 'start' END AS action,
             CASE WHEN n <= 1 THEN 'accepted' ELSE 'rejected' END::outcome_status AS status,
             CASE WHEN n <= 1 THEN 'ACCEPTED' ELSE 'RESTART_AFTER_END' END AS code,
             CASE WHEN n <= 1 THEN '${DECISION_MESSAGES.ACCEPTED}' ELSE '${DECISION_MESSAGES.RESTART_AFTER_END}' END AS message,
             CASE WHEN n = 0 THEN start_date WHEN n = 1 THEN start_date + 30 + ((contract_id * 7) % 400)::int
                  ELSE event_created_at::date END AS event_date
      FROM (
        SELECT c.*, ${at('c.j')} AS event_created_at,
               (${at('(c.place * ' + contracts + ' + c.contract_id - 1)')})::date + ((c.contract_id * 13) % 60)::int AS start_date
        FROM (
          SELECT b.*, x.components[1 + b.k % cardinality(x.components)] AS component,
                 b.k / cardinality(x.components) AS n, b.k % cardinality(x.components) AS place,
                 x.contract_number
          FROM (SELECT j, j % ${contracts} + 1 AS contract_id, j / ${contracts} AS k
                FROM generate_series($1::bigint, $2::bigint) AS j) b
          JOIN contracts x ON x.id = b.contract_id
        ) c
      ) d
    ) e`;
}

/** Invalid message i: its own Kafka position after the valid ones', alternately unparsable and invalid. */
function invalidRows(valid: number, invalid: number): string {
  return `
    SELECT NULL::bigint AS contract_id, NULL::text AS contract_number, NULL::text AS event_type,
           NULL::component_type AS component, NULL::text AS action, NULL::date AS event_date,
           NULL::timestamptz AS event_created_at, 'error'::outcome_status AS status,
           ($1::text[])[1 + i % 2] AS code, ($2::text[])[1 + i % 2] AS message, ($3::jsonb[])[1 + i % 2] AS error,
           NULL::text AS fingerprint, ${valid} + i AS j,
           'derived:' || encode(sha256(convert_to(concat_ws(E'\\n', 'invalid', '${TOPIC}',
             ((${valid} + i) % ${PARTITIONS})::text, ((${valid} + i) / ${PARTITIONS})::text), 'UTF8')), 'hex') AS event_id,
           timestamptz '2023-01-01 00:00:00+00' + i * ${Math.floor(MICROS_OVER_TWO_YEARS / Math.max(1, invalid))} * interval '1 microsecond' AS processed_at
    FROM generate_series(0, ${invalid - 1}::bigint) AS i`;
}

// Valid rows get their id here: even j a producer's random-looking id, odd j the id the service derives.
const EVENT_ID = `COALESCE(r.event_id, CASE WHEN r.j % 2 = 0 THEN encode(sha256(convert_to('fill-' || r.j, 'UTF8')), 'hex')
                  ELSE 'derived:' || r.fingerprint END)`;
const SOURCE_PARTITION = `r.j % ${PARTITIONS}`;
const SOURCE_OFFSET = `r.j / ${PARTITIONS}`;
const PROCESSED_AT = `COALESCE(r.processed_at, r.event_created_at + interval '2 seconds')`;

const LEDGER_COLUMNS = `(event_id, status, code, message, error, source, processed_at, fingerprint, revision,
  contract_id, component_type, action, event_created_at)`;
const LEDGER_VALUES = `${EVENT_ID}, r.status, r.code, r.message, r.error,
  jsonb_build_object('transport', 'kafka', 'topic', '${TOPIC}', 'partition', ${SOURCE_PARTITION}, 'offset', (${SOURCE_OFFSET})::text),
  ${PROCESSED_AT}, r.fingerprint, 0, r.contract_id, r.component, r.action, r.event_created_at`;
const AUDIT_COLUMNS = `(event_id, contract_id, contract_number, event_type, component_type, action, event_date,
  event_created_at, status, code, message, error, kafka_topic, kafka_partition, kafka_offset, processed_at)`;
const AUDIT_VALUES = `${EVENT_ID}, r.contract_id, r.contract_number, r.event_type, r.component, r.action, r.event_date,
  r.event_created_at, r.status, r.code, r.message, r.error, '${TOPIC}', ${SOURCE_PARTITION}, ${SOURCE_OFFSET}, ${PROCESSED_AT}`;

/** Each component's state: its accepted start and end, from the audit. */
const FOLD_STATES = `
  INSERT INTO component_states (contract_id, component_type, start_date, start_event_created_at, end_date,
                                end_event_created_at, updated_at)
  SELECT contract_id, component_type,
         max(event_date) FILTER (WHERE action = 'start'), max(event_created_at) FILTER (WHERE action = 'start'),
         max(event_date) FILTER (WHERE action = 'end'), max(event_created_at) FILTER (WHERE action = 'end'),
         max(processed_at)
  FROM event_audit WHERE status = 'accepted' GROUP BY contract_id, component_type`;

/** The service's own answer to an unparsable and to an invalid message, as the invalid rows carry it. */
function invalidSamples(): InvalidMessage[] {
  const source = { transport: 'kafka' as const, topic: TOPIC, partition: 0, offset: '0' };
  const key = Buffer.from('F0000001');
  return [
    '{"type":"supply_energy_start","contract_number":"F0000001","date":"2024-0',
    JSON.stringify({
      type: 'supply_energy_start',
      contract_number: 'F0000001',
      date: '2024-02-30',
      created_at: '2024-01-01T00:00:00Z',
    }),
  ].map((value) => {
    const decoded = decodeMessage({ key, value: Buffer.from(value), source });
    if (decoded.kind !== 'invalid') throw new Error('fill: the invalid samples must be invalid');
    return decoded;
  });
}
