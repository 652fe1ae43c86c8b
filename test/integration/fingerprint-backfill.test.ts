import { createHash } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/processing/decode-message.js';
import { applyMigrations, MIGRATIONS_DIR } from '../../src/store/migrations.js';
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

describe('the event_order migration', () => {
  it('fills in the fingerprint of audited decisions, equal to what the service computes', async () => {
    expect(await applyMigrations(db.url, older)).toEqual(BEFORE_FINGERPRINTS);
    await withClient(db.url, async (client) => {
      await client.query(`INSERT INTO contracts (id, contract_number, components) VALUES (7, 'K-7', '{energy_supply}')`);
      await client.query(`
        INSERT INTO processed_events (event_id, status, code, message) VALUES
          ('old-1', 'accepted', 'ACCEPTED', 'Event processed successfully.'),
          ('old-bad', 'error', 'VALIDATION_ERROR', 'The event is not valid.')`);
      await client.query(`
        INSERT INTO event_audit (event_id, contract_id, contract_number, event_type, component_type, action, event_date,
                                 event_created_at, status, code, message, processed_at) VALUES
          ('old-1', 7, 'K-7', 'supply_energy_start', 'energy_supply', 'start', '2024-12-01',
           '2024-11-20T10:00:00.123456+02:00', 'accepted', 'ACCEPTED', 'Event processed successfully.', now()),
          ('old-bad', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'error', 'VALIDATION_ERROR', 'The event is not valid.', now())`);
    });
    await applyMigrations(db.url);
    const rows = await withClient(db.url, async (client) =>
      (await client.query<{ event_id: string; fingerprint: string | null; revision: number }>('SELECT event_id, fingerprint, revision FROM processed_events ORDER BY event_id')).rows,
    );
    const expected = sha256('supply_energy_start\nK-7\n2024-12-01\n2024-11-20T08:00:00.123456Z');
    expect(rows).toEqual([
      { event_id: 'old-1', fingerprint: expected, revision: 0 },
      { event_id: 'old-bad', fingerprint: null, revision: 0 },
    ]);
    const value = JSON.stringify({ event_id: 'old-1', type: 'supply_energy_start', contract_number: 'K-7', date: '2024-12-01', created_at: '2024-11-20T10:00:00.123456+02:00' });
    const decoded = decodeMessage({ key: Buffer.from('K-7'), value: Buffer.from(value), source: { transport: 'kafka', topic: 't', partition: 0, offset: '0' } });
    expect(decoded.kind === 'valid' && decoded.fingerprint).toBe(expected);
  });
});
