import { createHash } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider } from '../../src/processing/decide-batch.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { applyMigrations, MIGRATIONS_DIR, readMigrations } from '../../src/store/migrations.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';

// Ids the service derived before issue 19 were the bare SHA-256; the
// derived_event_ids migration rewrites them to `derived:<hex>` in every table
// that holds event ids, and leaves producers' ids alone, so a re-sent event
// without event_id is still recognised and no old claim on its id remains.

const MIGRATION = '20261203100000_derived_event_ids';
const TOPIC = 'contract-events';

// The recipes, written from the SPEC: the hex digests ids were (and fingerprints still are).
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const contentDigest = (type: string, date: string, createdAt: string) =>
  sha256([type, 'K-7', date, createdAt].join('\n'));
const positionDigest = (offset: number) => sha256(['invalid', TOPIC, '0', String(offset)].join('\n'));

/** Sent without event_id at offset 1: its ledger id was its fingerprint. */
const A = contentDigest('supply_energy_start', '2024-12-01', '2024-11-20T08:00:00.123456Z');
/** A later event without event_id, whose old-form id a producer took at offset 2 (P), for other content. */
const P = contentDigest('heatpump_optimization_start', '2024-12-05', '2024-11-21T00:00:00.000000Z');
const P_CONTENT = contentDigest('battery_optimization_start', '2024-12-02', '2024-11-20T09:00:00.000000Z');
/** Messages that were not valid events, at offsets 3 (with a source) and 4 (recorded before the ledger kept sources). */
const I3 = positionDigest(3);
const I4 = positionDigest(4);
/** A later event without event_id, whose new-form id a producer took before the new form existed (as one did I3's). */
const D = contentDigest('supply_energy_end', '2024-12-31', '2024-11-22T00:00:00.000000Z');
const D_CLAIM_CONTENT = contentDigest('battery_optimization_end', '2024-12-31', '2024-11-22T00:00:00.000000Z');

const source = (offset: number) =>
  JSON.stringify({ transport: 'kafka', topic: TOPIC, partition: 0, offset: String(offset) });
const outbox = (message: object) =>
  JSON.stringify({ duplicate: false, revision: 0, revises: null, replay: false, ...message });

let db: TestDatabase;
let older: string;
let prisma: PrismaClient | undefined;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  older = await mkdtemp(join(tmpdir(), 'ces-migrations-'));
  for (const { name } of await readMigrations())
    if (name < MIGRATION) await cp(join(MIGRATIONS_DIR, name), join(older, name), { recursive: true });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await rm(older, { recursive: true, force: true });
  await db?.drop();
});

async function seedOldLedger(): Promise<void> {
  await applyMigrations(db.url, older);
  await withClient(db.url, async (client) => {
    await client.query(
      `INSERT INTO contracts (id, contract_number, components) VALUES (7, 'K-7', '{energy_supply,battery_optimization,heatpump_optimization}')`,
    );
    await client.query(
      `INSERT INTO processed_events (event_id, status, code, message, error, source, fingerprint) VALUES
         ($1, 'accepted', 'ACCEPTED', 'Event processed successfully.', NULL, $2, $1),
         ($3, 'accepted', 'ACCEPTED', 'Event processed successfully.', NULL, $4, $5),
         ($6, 'error', 'INVALID_JSON', 'The message value is not valid JSON.', $7, $8, NULL),
         ($9, 'error', 'INVALID_JSON', 'The message value is not valid JSON.', NULL, NULL, NULL),
         ($10, 'accepted', 'ACCEPTED', 'Event processed successfully.', NULL, $11, $12),
         ($13, 'accepted', 'ACCEPTED', 'Event processed successfully.', NULL, $14, $12)`,
      [
        A,
        source(1),
        P,
        source(2),
        P_CONTENT,
        I3,
        JSON.stringify({ code: 'INVALID_JSON', message: 'The message value is not valid JSON.', details: {} }),
        source(3),
        I4,
        `derived:${D}`,
        source(5),
        D_CLAIM_CONTENT,
        `derived:${I3}`,
        source(6),
      ],
    );
    await client.query(
      `INSERT INTO event_audit (event_id, contract_id, status, code, message, kafka_topic, kafka_partition, kafka_offset, processed_at) VALUES
         ($1, 7, 'accepted', 'ACCEPTED', '', $6, 0, 1, now()), ($2, 7, 'accepted', 'ACCEPTED', '', $6, 0, 2, now()),
         ($3, NULL, 'error', 'INVALID_JSON', '', $6, 0, 3, now()), ($4, NULL, 'error', 'INVALID_JSON', '', $6, 0, 4, now()),
         ($5, 7, 'accepted', 'ACCEPTED', '', $6, 0, 5, now()), ($7, 7, 'accepted', 'ACCEPTED', '', $6, 0, 6, now())`,
      [A, P, I3, I4, `derived:${D}`, TOPIC, `derived:${I3}`],
    );
    await client.query(
      `INSERT INTO component_states (contract_id, component_type, start_date, start_event_created_at, folded_created_at, folded_event_id)
       VALUES (7, 'energy_supply', '2024-12-01', '2024-11-20T08:00:00.123456Z', '2024-11-20T08:00:00.123456Z', $1)`,
      [A],
    );
    await client.query(
      `INSERT INTO event_revisions (event_id, revision, status, code, message, previous_status, previous_code, caused_by, revised_at) VALUES
         ($1, 1, 'rejected', 'STALE_START', '', 'accepted', 'ACCEPTED', $2, now()),
         ($2, 1, 'rejected', 'STALE_START', '', 'accepted', 'ACCEPTED', $1, now())`,
      [A, P],
    );
    await client.query(
      `INSERT INTO outcome_outbox (event_id, message_key, message) VALUES ($1, 'K-7', $2), ($1, 'K-7', $3), ($4, 'K-7', $5)`,
      [
        A,
        outbox({ event_id: A, status: 'accepted', code: 'ACCEPTED' }),
        outbox({
          event_id: A,
          status: 'error',
          code: 'EVENT_ID_CONFLICT',
          error: { code: 'EVENT_ID_CONFLICT', details: { event_id: A } },
        }),
        P,
        outbox({
          event_id: P,
          status: 'rejected',
          code: 'STALE_START',
          revision: 1,
          revises: { revision: 0, status: 'accepted', code: 'ACCEPTED', caused_by: A },
        }),
      ],
    );
  });
}

const column = (sql: string) =>
  withClient(db.url, async (client) => (await client.query<{ id: string }>(sql)).rows.map((row) => row.id).sort());

describe('the derived_event_ids migration', () => {
  it('rewrites derived ids to derived:<hex> in every table, leaves producers ids, and re-sent events are still recognised', async () => {
    await seedOldLedger();
    expect(await applyMigrations(db.url)).toContain(MIGRATION);

    const ledger = [
      `derived:${A}`,
      P,
      `derived:${I3}`,
      `derived:${I4}`,
      `derived:producer:${D}`,
      `derived:producer:${I3}`,
    ].sort();
    expect(await column('SELECT event_id AS id FROM processed_events')).toEqual(ledger);
    expect(await column('SELECT event_id AS id FROM event_audit')).toEqual(ledger);
    expect(await column(`SELECT event_id || ' caused by ' || caused_by AS id FROM event_revisions`)).toEqual(
      [`derived:${A} caused by ${P}`, `${P} caused by derived:${A}`].sort(),
    );
    expect(await column('SELECT folded_event_id AS id FROM component_states')).toEqual([`derived:${A}`]);
    const queued = await withClient(db.url, async (client) =>
      (
        await client.query<{ event_id: string; message: string }>(
          'SELECT event_id, message FROM outcome_outbox ORDER BY id',
        )
      ).rows.map((row) => ({
        event_id: row.event_id,
        message: JSON.parse(row.message) as object,
      })),
    );
    expect(queued).toMatchObject([
      { event_id: `derived:${A}`, message: { event_id: `derived:${A}`, code: 'ACCEPTED' } },
      // A conflict under a derived id answered a producer's own id: it stays.
      { event_id: A, message: { event_id: A, code: 'EVENT_ID_CONFLICT', error: { details: { event_id: A } } } },
      { event_id: P, message: { event_id: P, revises: { caused_by: `derived:${A}` } } },
    ]);

    prisma = createPrismaClient(db.url, 2);
    const decideBatch = createBatchDecider({
      store: createDecisionStore(prisma),
      clock: systemClock,
      auditEnabled: true,
    });
    const message = (offset: number, value: object | string) => {
      const text = typeof value === 'string' ? value : JSON.stringify({ contract_number: 'K-7', ...value });
      return decodeMessage({
        key: Buffer.from('K-7'),
        value: Buffer.from(text),
        source: { transport: 'kafka', topic: TOPIC, partition: 0, offset: String(offset) },
      });
    };
    const outcomes = await decideBatch([
      message(10, { type: 'supply_energy_start', date: '2024-12-01', created_at: '2024-11-20T10:00:00.123456+02:00' }),
      message(11, {
        type: 'battery_optimization_start',
        date: '2024-12-02',
        created_at: '2024-11-20T09:00:00Z',
        event_id: P,
      }),
      message(12, { type: 'heatpump_optimization_start', date: '2024-12-05', created_at: '2024-11-21T00:00:00Z' }),
      message(3, '{"type": "supply_energy_start",'),
      message(13, { type: 'supply_energy_end', date: '2024-12-31', created_at: '2024-11-22T00:00:00Z' }),
    ]);
    expect(outcomes.map(({ message: { event_id, code, duplicate } }) => ({ event_id, code, duplicate }))).toEqual([
      { event_id: `derived:${A}`, code: 'ACCEPTED', duplicate: true },
      { event_id: P, code: 'ACCEPTED', duplicate: true },
      // Its old-form id was taken by P; its new-form id cannot be.
      { event_id: `derived:${P}`, code: 'ACCEPTED', duplicate: false },
      // A redelivery of the invalid message: answered as the first time.
      { event_id: `derived:${I3}`, code: 'INVALID_JSON', duplicate: false },
      { event_id: `derived:${D}`, code: 'ACCEPTED', duplicate: false },
    ]);
  });
});
