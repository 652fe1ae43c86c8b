import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider } from '../../src/processing/decide-batch.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { applyMigrations, MIGRATIONS_DIR } from '../../src/store/migrations.js';
import { createPrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';

// Decisions recorded before the ledger kept each event's place in its fold
// get it from the audit when the migration runs, so a late event decided
// after it starts from the right state: here an end that is accepted only
// because the start and the end before it are found.

const MIGRATION = '20261203000000_ledger_fold_position';

let db: TestDatabase;
let older: string;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  older = await mkdtemp(join(tmpdir(), 'ces-migrations-'));
  const names = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && e.name < MIGRATION)
    .map((e) => e.name);
  for (const name of names) await cp(join(MIGRATIONS_DIR, name), join(older, name), { recursive: true });
});
afterAll(async () => {
  await rm(older, { recursive: true, force: true });
  await db?.drop();
});

describe('the ledger_fold_position migration', () => {
  it("fills in each audited decision's place in its fold, and a late event after it finds the state before it", async () => {
    await applyMigrations(db.url, older);
    await withClient(db.url, async (client) => {
      await client.query(
        `INSERT INTO contracts (id, contract_number, components) VALUES (7, 'K-7', '{energy_supply}')`,
      );
      // Folded in created_at mode: start 12-01, end 12-10, end 12-20.
      await client.query(`
        INSERT INTO component_states (contract_id, component_type, start_date, start_event_created_at, end_date, end_event_created_at,
                                      folded_created_at, folded_event_id)
        VALUES (7, 'energy_supply', '2024-12-01', '2024-11-20T10:00:00Z', '2024-12-20', '2024-11-20T10:10:00Z', '2024-11-20T10:10:00Z', 'e-3')`);
      await client.query(`
        INSERT INTO processed_events (event_id, status, code, message) VALUES
          ('e-1', 'accepted', 'ACCEPTED', 'Event processed successfully.'),
          ('e-2', 'accepted', 'ACCEPTED', 'Event processed successfully.'),
          ('e-3', 'accepted', 'ACCEPTED', 'Event processed successfully.'),
          ('bad', 'error', 'VALIDATION_ERROR', 'The event is not valid.')`);
      await client.query(`
        INSERT INTO event_audit (event_id, contract_id, contract_number, event_type, component_type, action, event_date,
                                 event_created_at, status, code, message, processed_at) VALUES
          ('e-1', 7, 'K-7', 'supply_energy_start', 'energy_supply', 'start', '2024-12-01', '2024-11-20T10:00:00Z', 'accepted', 'ACCEPTED', 'Event processed successfully.', now()),
          ('e-2', 7, 'K-7', 'supply_energy_end', 'energy_supply', 'end', '2024-12-10', '2024-11-20T10:05:00Z', 'accepted', 'ACCEPTED', 'Event processed successfully.', now()),
          ('e-3', 7, 'K-7', 'supply_energy_end', 'energy_supply', 'end', '2024-12-20', '2024-11-20T10:10:00Z', 'accepted', 'ACCEPTED', 'Event processed successfully.', now()),
          ('bad', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'error', 'VALIDATION_ERROR', 'The event is not valid.', now())`);
    });
    expect(await applyMigrations(db.url)).toContain(MIGRATION);
    const rows = await withClient(
      db.url,
      async (client) =>
        (
          await client.query(`
          SELECT event_id, contract_id::int, component_type::text, action, to_char(event_created_at AT TIME ZONE 'UTC', 'HH24:MI') AS at
          FROM processed_events ORDER BY event_id`)
        ).rows,
    );
    expect(rows).toEqual([
      { event_id: 'bad', contract_id: null, component_type: null, action: null, at: null },
      { event_id: 'e-1', contract_id: 7, component_type: 'energy_supply', action: 'start', at: '10:00' },
      { event_id: 'e-2', contract_id: 7, component_type: 'energy_supply', action: 'end', at: '10:05' },
      { event_id: 'e-3', contract_id: 7, component_type: 'energy_supply', action: 'end', at: '10:10' },
    ]);

    const prisma = createPrismaClient(db.url, 1);
    try {
      const decide = createBatchDecider({
        store: createDecisionStore(prisma),
        clock: systemClock,
        auditEnabled: true,
        eventOrder: 'created_at',
      });
      const value = JSON.stringify({
        event_id: 'late',
        type: 'supply_energy_end',
        contract_number: 'K-7',
        date: '2024-12-15',
        created_at: '2024-11-20T10:07:00Z',
      });
      const late = decodeMessage({
        key: Buffer.from('K-7'),
        value: Buffer.from(value),
        source: { transport: 'kafka', topic: 't', partition: 0, offset: '9' },
      });
      // After the end of 10:05 and before the one of 10:10, which is still accepted after it.
      expect((await decide([late])).map((o) => [o.message.event_id, o.message.code])).toEqual([['late', 'ACCEPTED']]);
    } finally {
      await prisma.$disconnect();
    }
  });
});
