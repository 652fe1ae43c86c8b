import { createHash } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchDecider } from '../../src/processing/decide-batch.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { applyMigrations, MIGRATIONS_DIR } from '../../src/store/migrations.js';
import { createPrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';

// Decisions recorded before the ledger kept fingerprints get theirs from the
// audit when the migration runs, computed in SQL exactly as the service does,
// so a reused event_id is recognised for old events too.

const BEFORE_FINGERPRINTS = ['20261127000000_init', '20261128000000_outcome_stream'];

let db: TestDatabase;
let older: string;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  older = await mkdtemp(join(tmpdir(), 'ces-migrations-'));
  for (const name of BEFORE_FINGERPRINTS) await cp(join(MIGRATIONS_DIR, name), join(older, name), { recursive: true });
});
afterAll(async () => {
  await rm(older, { recursive: true, force: true });
  await db?.drop();
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const ledgerRows = () =>
  withClient(
    db.url,
    async (client) =>
      (
        await client.query<{ event_id: string; fingerprint: string | null; revision: number }>(
          'SELECT event_id, fingerprint, revision FROM processed_events ORDER BY event_id',
        )
      ).rows,
  );
/** Decided before fingerprints with the audit off: no audit row, so the migration leaves its fingerprint null. */
const unaudited = {
  event_id: 'old-unaudited',
  type: 'supply_energy_start',
  contract_number: 'K-7',
  date: '2024-10-01',
  created_at: '2024-09-20T10:00:00Z',
};

describe('the event_order migration', () => {
  it('fills in the fingerprint of audited decisions, equal to what the service computes', async () => {
    expect(await applyMigrations(db.url, older)).toEqual(BEFORE_FINGERPRINTS);
    await withClient(db.url, async (client) => {
      await client.query(
        `INSERT INTO contracts (id, contract_number, components) VALUES (7, 'K-7', '{energy_supply}')`,
      );
      await client.query(`
        INSERT INTO processed_events (event_id, status, code, message) VALUES
          ('old-1', 'accepted', 'ACCEPTED', 'Event processed successfully.'),
          ('old-bad', 'error', 'VALIDATION_ERROR', 'The event is not valid.')`);
      await client.query(`
        INSERT INTO processed_events (event_id, status, code, message, processed_at)
        VALUES ('old-unaudited', 'accepted', 'ACCEPTED', 'Event processed successfully.', '2024-09-20T10:00:01.5Z')`);
      await client.query(`
        INSERT INTO event_audit (event_id, contract_id, contract_number, event_type, component_type, action, event_date,
                                 event_created_at, status, code, message, processed_at) VALUES
          ('old-1', 7, 'K-7', 'supply_energy_start', 'energy_supply', 'start', '2024-12-01',
           '2024-11-20T10:00:00.123456+02:00', 'accepted', 'ACCEPTED', 'Event processed successfully.', now()),
          ('old-bad', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'error', 'VALIDATION_ERROR', 'The event is not valid.', now())`);
    });
    await applyMigrations(db.url);
    const rows = await ledgerRows();
    const expected = sha256('supply_energy_start\nK-7\n2024-12-01\n2024-11-20T08:00:00.123456Z');
    expect(rows).toEqual([
      { event_id: 'old-1', fingerprint: expected, revision: 0 },
      { event_id: 'old-bad', fingerprint: null, revision: 0 },
      { event_id: 'old-unaudited', fingerprint: null, revision: 0 },
    ]);
    const value = JSON.stringify({
      event_id: 'old-1',
      type: 'supply_energy_start',
      contract_number: 'K-7',
      date: '2024-12-01',
      created_at: '2024-11-20T10:00:00.123456+02:00',
    });
    const decoded = decodeMessage({
      key: Buffer.from('K-7'),
      value: Buffer.from(value),
      source: { transport: 'kafka', topic: 't', partition: 0, offset: '0' },
    });
    expect(decoded.kind === 'valid' && decoded.fingerprint).toBe(expected);
  });

  it('answers an event sent again whose ledger row has no fingerprint as a duplicate of that decision, not EVENT_ID_CONFLICT', async () => {
    // Runs on the database the test above migrated.
    const wholeLedger = () =>
      withClient(
        db.url,
        async (client) => (await client.query('SELECT * FROM processed_events ORDER BY event_id')).rows,
      );
    const before = await wholeLedger();
    expect(before.find((row) => row.event_id === 'old-unaudited')).toMatchObject({
      status: 'accepted',
      fingerprint: null,
      source: null,
    });
    const prisma = createPrismaClient(db.url, 2);
    try {
      const decideBatch = createBatchDecider({
        store: createDecisionStore(prisma),
        clock: () => 1_800_000_000_000_000n,
        auditEnabled: true,
      });
      const source = { transport: 'kafka' as const, topic: 'contract-events', partition: 3, offset: '900' };
      const again = decodeMessage({ key: Buffer.from('K-7'), value: Buffer.from(JSON.stringify(unaudited)), source });
      const [outcome] = await decideBatch([again]);
      expect(outcome!.message).toMatchObject({
        event_id: 'old-unaudited',
        status: 'accepted',
        code: 'ACCEPTED',
        duplicate: true,
        processed_at: '2024-09-20T10:00:01.500000Z',
        source,
      });
    } finally {
      await prisma.$disconnect();
    }
    expect(await wholeLedger()).toEqual(before);
  });
});
