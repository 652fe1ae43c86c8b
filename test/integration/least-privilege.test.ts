import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildTimeline } from '../../src/domain/timeline.js';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider, type BatchDecider } from '../../src/processing/decide-batch.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import { createAuditLog } from '../../src/store/audit-log.js';
import { createContractRepository, type ContractRepository } from '../../src/store/contracts.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { applyMigrations, readMigrations } from '../../src/store/migrations.js';
import { drainOutbox } from '../../src/store/outcome-outbox.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';

// The roles docker-compose.yml gives Postgres, proved on a real server: the
// deploy SQL as it ships (only the role names made unique, since roles are
// shared by every database of the server), migrations applied as the
// migrator, then the service's own data paths as the app role.

const suffix = randomBytes(4).toString('hex');
const MIGRATOR = `contract_events_migrator_${suffix}`;
const APP = `contract_events_app_${suffix}`;
/** Any other role of the server, to show that the database is closed to it. */
const OTHER = `contract_events_other_${suffix}`;
const PASSWORD = randomBytes(16).toString('hex');
const rolesSql = readFileSync(new URL('../../deploy/postgres/initdb/10-roles.sql', import.meta.url), 'utf8')
  .replace(/\bcontract_events_migrator\b/g, MIGRATOR)
  .replace(/\bcontract_events_app\b/g, APP);

let db: TestDatabase;
let applied: string[];
let prisma: PrismaClient;
let contracts: ContractRepository;
let decideBatch: BatchDecider;

const urlAs = (role: string) => {
  const url = new URL(db.url);
  url.username = role;
  url.password = PASSWORD;
  return url.toString();
};
const asApp = (sql: string) => withClient(urlAs(APP), (client) => client.query(sql));
const INSUFFICIENT_PRIVILEGE = { code: '42501' };
const event = (fields: Record<string, string>) =>
  JSON.stringify({
    type: 'supply_energy_start',
    contract_number: 'lp-1',
    date: '2024-12-01',
    created_at: '2024-11-20T10:00:00Z',
    ...fields,
  });
let offset = 0;
const decoded = (line: string) =>
  decodeMessage({
    key: Buffer.from('lp-1'),
    value: Buffer.from(line),
    source: { transport: 'kafka', topic: 'contract-events', partition: 0, offset: String(offset++) },
  });

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  await withClient(db.url, async (client) => {
    await client.query(rolesSql);
    // In the image, 20-role-passwords.sh sets these from the secret URLs.
    for (const role of [MIGRATOR, APP])
      await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} PASSWORD ${client.escapeLiteral(PASSWORD)}`);
    await client.query(
      `CREATE ROLE ${client.escapeIdentifier(OTHER)} LOGIN PASSWORD ${client.escapeLiteral(PASSWORD)}`,
    );
  });
  applied = await applyMigrations(urlAs(MIGRATOR));
  prisma = createPrismaClient(urlAs(APP), 2);
  contracts = createContractRepository(prisma);
  decideBatch = createBatchDecider({ store: createDecisionStore(prisma), clock: systemClock, auditEnabled: true });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
  // Roles belong to the server, not to the dropped database.
  await withClient(inject('databaseUrl'), async (client) => {
    for (const role of [APP, MIGRATOR, OTHER])
      await client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(role)}`);
  });
});

describe('least-privilege database roles (deploy/postgres/initdb)', () => {
  it('let the migrator apply every migration and own what they create', async () => {
    expect(applied).toEqual((await readMigrations()).map((migration) => migration.name));
    const owners = await withClient(
      db.url,
      async (client) =>
        (
          await client.query<{ owner: string }>(
            `SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'public'`,
          )
        ).rows,
    );
    expect(owners).toEqual([{ owner: MIGRATOR }]);
  });

  it('let the app role do all the service does: contracts, decisions, the audit, the HTTP outbox', async () => {
    expect(await contracts.create({ contractNumber: 'lp-1', components: ['energy_supply'] })).toMatchObject({
      contractNumber: 'lp-1',
    });
    const [start] = await decideBatch([decoded(event({ event_id: 'lp-a' }))]);
    const [again] = await decideBatch([decoded(event({ event_id: 'lp-a' }))]);
    expect(start!.message).toMatchObject({ code: 'ACCEPTED', duplicate: false });
    expect(again!.message).toMatchObject({ code: 'ACCEPTED', duplicate: true });

    const end = decoded(event({ type: 'supply_energy_end', date: '2024-12-31', created_at: '2024-11-21T10:00:00Z' }));
    if (end.kind !== 'valid') throw new Error('the end event should decode');
    await decideBatch([{ ...end, source: { transport: 'http', request_id: 'lp-req' } }], { outbox: true });
    const relayed = await drainOutbox(prisma, async (outbox) => {
      const rows = await outbox.pending(10);
      if (rows.length) await outbox.published(rows.at(-1)!);
      return rows.length;
    });
    expect(relayed).toBe(1);

    expect(buildTimeline((await contracts.findWithStates('lp-1'))!).components.energy_supply).toEqual({
      start: '2024-12-01',
      end: '2024-12-31',
    });
    expect((await createAuditLog(prisma).contractEvents('lp-1', { limit: 10 }))!.events).toHaveLength(2);
    expect(await contracts.delete('lp-1', 'anonymous')).toBe(true);
    expect(await createAuditLog(prisma).contractHistory('lp-1')).toEqual([
      expect.objectContaining({ deleted_by: 'anonymous' }),
    ]);
  });

  it('keep the app role from changing the schema', async () => {
    await expect(asApp('CREATE TABLE intruder (id int)')).rejects.toMatchObject(INSUFFICIENT_PRIVILEGE);
    await expect(asApp('DROP TABLE processed_events')).rejects.toMatchObject(INSUFFICIENT_PRIVILEGE);
    await expect(asApp('ALTER TABLE contracts ADD COLUMN intruder int')).rejects.toMatchObject(INSUFFICIENT_PRIVILEGE);
    await expect(asApp('TRUNCATE event_audit')).rejects.toMatchObject(INSUFFICIENT_PRIVILEGE);
  });

  it('keep every other role out of the database', async () => {
    await expect(withClient(urlAs(OTHER), (client) => client.query('SELECT 1'))).rejects.toMatchObject(
      INSUFFICIENT_PRIVILEGE,
    );
  });

  it('keep the app role from writing the migration history', async () => {
    await expect(
      asApp(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ('x', 'x', 'x')`),
    ).rejects.toMatchObject(INSUFFICIENT_PRIVILEGE);
    await expect(asApp(`UPDATE "_prisma_migrations" SET logs = 'x'`)).rejects.toMatchObject(INSUFFICIENT_PRIVILEGE);
    await expect(asApp(`DELETE FROM "_prisma_migrations"`)).rejects.toMatchObject(INSUFFICIENT_PRIVILEGE);
  });

  it('create _prisma_migrations exactly as the migration runner does', async () => {
    const reference = await createTestDatabase({ migrate: true });
    const columns = (url: string) =>
      withClient(
        url,
        async (client) =>
          (
            await client.query(`
            SELECT column_name, data_type, character_maximum_length, is_nullable, column_default,
                   (SELECT string_agg(pg_get_constraintdef(oid), ', ') FROM pg_constraint WHERE conrelid = '"_prisma_migrations"'::regclass) AS constraints
            FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`)
          ).rows,
      );
    try {
      expect(await columns(db.url)).toEqual(await columns(reference.url));
    } finally {
      await reference.drop();
    }
  });
});
