import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider, type BatchDecider } from '../../src/processing/decide-batch.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import type { AuditedEvent } from '../../src/schemas/audit.js';
import type { ContractIncarnation } from '../../src/schemas/contract-history.js';
import { createAuditLog } from '../../src/store/audit-log.js';
import { createContractRepository } from '../../src/store/contracts.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';
import { buildStubHttpApp } from '../support/stub-http-app.js';

// History is never lost (issue 10): a deleted contract keeps its audited
// events and records when and by which credential it was deleted; it then
// answers 404 and its events CONTRACT_NOT_FOUND; the number can be created
// again, afresh. Real Postgres, the real decider, the real HTTP app.

const TOKEN = 'history-test-token-0123456789abcdef';
// Computed outside the code: printf %s "$TOKEN" | sha256sum | cut -c1-12
const TOKEN_LABEL = 'api-token:87c45e0bdbd3';
const MICROS_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

let db: TestDatabase;
let prisma: PrismaClient;
let app: FastifyInstance;
let decideBatch: BatchDecider;
let logged = '';
let offset = 0;

/** Decides events as the consumer would, one batch, keyed by their contract number; answers each outcome's code. */
async function consume(
  ...events: { type: string; contract: string; date: string; createdAt: string; id: string }[]
): Promise<string[]> {
  const messages = events.map(({ type, contract, date, createdAt, id }) =>
    decodeMessage({
      key: Buffer.from(contract),
      value: Buffer.from(
        JSON.stringify({ type, contract_number: contract, date, created_at: createdAt, event_id: id }),
      ),
      source: { transport: 'kafka' as const, topic: 'contract-events', partition: 0, offset: String(offset++) },
    }),
  );
  return (await decideBatch(messages)).map((outcome) => outcome.message.code);
}

const get = (url: string) => app.inject({ method: 'GET', url });
const bearer = (token: string | undefined) => (token === undefined ? {} : { authorization: `Bearer ${token}` });
const deleteContract = (contract: string, token?: string) =>
  app.inject({ method: 'DELETE', url: `/contracts/${contract}`, headers: bearer(token) });
const create = (contract: string, components: string[]) =>
  app.inject({
    method: 'POST',
    url: '/contracts',
    payload: { contract_number: contract, components },
    headers: bearer(TOKEN),
  });
const events = async (url: string) =>
  (await get(url)).json<{ incarnation: string; events: AuditedEvent[]; next_cursor: string | null }>();
const history = async (contract: string) =>
  (await get(`/contracts/${contract}/history`)).json<{
    contract_number: string;
    incarnations: ContractIncarnation[];
  }>();

/** The ids of a number's contract rows, oldest first, straight from the table. */
const rowsOf = (contract: string) =>
  withClient(db.url, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      'SELECT id::text AS id FROM contracts WHERE contract_number = $1 ORDER BY id',
      [contract],
    );
    return rows.map((row) => row.id);
  });
const count = (sql: string, params: unknown[] = []) =>
  withClient(db.url, async (client) => Number((await client.query(sql, params)).rows[0].count));
const statesOf = (incarnation: string) =>
  count('SELECT count(*) FROM component_states WHERE contract_id = $1', [incarnation]);

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, 3);
  decideBatch = createBatchDecider({ store: createDecisionStore(prisma), clock: systemClock, auditEnabled: true });
  app = await buildStubHttpApp({
    contracts: createContractRepository(prisma),
    auditLog: createAuditLog(prisma),
    decideBatch,
    tokens: { write: [TOKEN] },
    logger: createLogger('info', { write: (chunk: string) => void (logged += chunk) }),
  });
});
afterAll(async () => {
  await app?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

describe('deleting a contract', () => {
  let first: string;

  it('records when and by which credential, and the contract answers as absent everywhere', async () => {
    expect((await create('h-1', ['energy_supply', 'battery_optimization'])).statusCode).toBe(201);
    expect(
      await consume(
        {
          type: 'supply_energy_start',
          contract: 'h-1',
          date: '2024-12-01',
          createdAt: '2024-11-20T10:00:00.000001Z',
          id: 'h1-e1',
        },
        {
          type: 'supply_energy_end',
          contract: 'h-1',
          date: '2024-12-31',
          createdAt: '2024-11-20T11:00:00Z',
          id: 'h1-e2',
        },
        {
          type: 'battery_optimization_end',
          contract: 'h-1',
          date: '2024-04-04',
          createdAt: '2024-11-20T12:00:00Z',
          id: 'h1-e3',
        },
      ),
    ).toEqual(['ACCEPTED', 'ACCEPTED', 'END_WITHOUT_START']);
    [first] = (await rowsOf('h-1')) as [string];
    expect(await statesOf(first)).toBe(1);

    expect((await deleteContract('h-1')).statusCode).toBe(401);
    const before = Date.now();
    expect((await deleteContract('h-1', TOKEN)).statusCode).toBe(204);
    const after = Date.now();

    expect((await get('/contracts/h-1')).statusCode).toBe(404);
    expect((await get('/contracts/h-1/timeline')).statusCode).toBe(404);
    const live = await get('/contracts/h-1/events');
    expect(live.statusCode).toBe(404);
    expect(live.json()).toMatchObject({
      code: 'CONTRACT_NOT_FOUND',
      message: expect.stringContaining('/contracts/h-1/history'),
    });
    expect((await deleteContract('h-1', TOKEN)).statusCode).toBe(404);
    // Its component states went with it; its audit rows stay.
    expect(await statesOf(first)).toBe(0);
    const afterDeletion = {
      type: 'supply_energy_start',
      contract: 'h-1',
      date: '2025-01-01',
      createdAt: '2024-11-21T00:00:00Z',
      id: 'h1-e4',
    };
    expect(await consume(afterDeletion)).toEqual(['CONTRACT_NOT_FOUND']);

    const { contract_number, incarnations } = await history('h-1');
    expect(contract_number).toBe('h-1');
    expect(incarnations).toEqual([
      {
        incarnation: first,
        components: ['energy_supply', 'battery_optimization'],
        created_at: expect.stringMatching(MICROS_INSTANT),
        deleted_at: expect.stringMatching(MICROS_INSTANT),
        deleted_by: TOKEN_LABEL,
      },
    ]);
    const deletedAt = Date.parse(incarnations[0]!.deleted_at!);
    expect(deletedAt).toBeGreaterThanOrEqual(before - 1);
    expect(deletedAt).toBeLessThanOrEqual(after);

    // The log says who deleted what, and never shows the token.
    const line = logged.split('\n').find((text) => text.includes('"contract deleted"'));
    expect(JSON.parse(line!)).toMatchObject({ level: 30, contract_number: 'h-1', deleted_by: TOKEN_LABEL });
    expect(logged).not.toContain(TOKEN);
  });

  it("keeps the deleted contract's events readable by incarnation, with their decisions", async () => {
    const page = await events(`/contracts/h-1/events?incarnation=${first}`);
    expect(page.incarnation).toBe(first);
    expect(page.next_cursor).toBeNull();
    expect(page.events.map((event) => [event.event_id, event.status, event.code, event.revision])).toEqual([
      ['h1-e1', 'accepted', 'ACCEPTED', 0],
      ['h1-e2', 'accepted', 'ACCEPTED', 0],
      ['h1-e3', 'rejected', 'END_WITHOUT_START', 0],
    ]);
    const paged = await events(`/contracts/h-1/events?incarnation=${first}&limit=2`);
    expect(paged.events.map((event) => event.event_id)).toEqual(['h1-e1', 'h1-e2']);
    const rest = await events(`/contracts/h-1/events?incarnation=${first}&limit=2&cursor=${paged.next_cursor}`);
    expect(rest.events.map((event) => event.event_id)).toEqual(['h1-e3']);
  });

  it('starts a fresh contract when the number is created again, which does not inherit the old timeline', async () => {
    expect((await create('h-1', ['energy_supply'])).statusCode).toBe(201);
    const [, second] = (await rowsOf('h-1')) as [string, string];
    const timeline = (await get('/contracts/h-1/timeline')).json();
    expect(timeline).toEqual({ contract_number: 'h-1', components: { energy_supply: { start: null, end: null } } });
    expect(await events('/contracts/h-1/events')).toEqual({
      contract_number: 'h-1',
      incarnation: second,
      events: [],
      next_cursor: null,
    });
    // The old incarnation ended energy_supply; inherited, this start would be RESTART_AFTER_END.
    const restart = {
      type: 'supply_energy_start',
      contract: 'h-1',
      date: '2025-01-01',
      createdAt: '2024-11-22T00:00:00Z',
      id: 'h1-e5',
    };
    expect(await consume(restart)).toEqual(['ACCEPTED']);
    expect((await events('/contracts/h-1/events')).events.map((event) => event.event_id)).toEqual(['h1-e5']);
    expect((await events(`/contracts/h-1/events?incarnation=${second}`)).events.map((event) => event.event_id)).toEqual(
      ['h1-e5'],
    );
    expect((await events(`/contracts/h-1/events?incarnation=${first}`)).events.map((event) => event.event_id)).toEqual([
      'h1-e1',
      'h1-e2',
      'h1-e3',
    ]);

    const { incarnations } = await history('h-1');
    expect(
      incarnations.map((incarnation) => [incarnation.incarnation, incarnation.components, incarnation.deleted_by]),
    ).toEqual([
      [first, ['energy_supply', 'battery_optimization'], TOKEN_LABEL],
      [second, ['energy_supply'], null],
    ]);
    expect(incarnations[1]!.deleted_at).toBeNull();
    // Still one live contract per number.
    expect((await create('h-1', ['energy_supply'])).statusCode).toBe(409);
  });

  it("answers 404 for a number that never existed, and for another number's incarnation", async () => {
    expect((await get('/contracts/never/history')).json()).toEqual({
      code: 'CONTRACT_NOT_FOUND',
      message: 'Contract never not found.',
    });
    expect((await create('h-other', ['energy_supply'])).statusCode).toBe(201);
    const [other] = (await rowsOf('h-other')) as [string];
    const foreign = await get(`/contracts/h-1/events?incarnation=${other}`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({
      code: 'CONTRACT_NOT_FOUND',
      message: expect.stringContaining(`no incarnation ${other}`),
    });
  });
});

describe('the events listing', () => {
  it('shows the current decision from the ledger, with its revision, while the audit keeps the first', async () => {
    // What a re-decision does to the ledger; the audit row is append-only.
    await withClient(db.url, (client) =>
      client.query(`UPDATE processed_events SET status = 'rejected', code = 'STALE_START', message = 'revised', revision = 2
                    WHERE event_id = 'h1-e1'`),
    );
    const [first] = (await rowsOf('h-1')) as [string];
    const [revised] = (await events(`/contracts/h-1/events?incarnation=${first}`)).events;
    expect(revised).toMatchObject({
      event_id: 'h1-e1',
      status: 'rejected',
      code: 'STALE_START',
      message: 'revised',
      revision: 2,
    });
    const audit = await withClient(
      db.url,
      async (client) => (await client.query(`SELECT code FROM event_audit WHERE event_id = 'h1-e1'`)).rows,
    );
    expect(audit).toEqual([{ code: 'ACCEPTED' }]);
  });
});

describe('a deletion and the consumer', () => {
  /** Runs `sql` in a transaction of its own, kept open with the locks it took until `release` is called. */
  async function holdLock(sql: string, contract: string): Promise<{ client: pg.Client; release: () => Promise<void> }> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('BEGIN');
    await client.query(sql, [contract]);
    return { client, release: () => client.query('COMMIT').then(() => client.end()) };
  }
  /** Resolves once another session waits for a lock in this database. */
  const someoneWaits = async () => {
    while (
      (await count(
        `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      )) === 0
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('waits for a consumer that holds the contract, then also removes the states it wrote', async () => {
    expect((await create('h-2', ['energy_supply'])).statusCode).toBe(201);
    const [id] = (await rowsOf('h-2')) as [string];
    // As the decider does: lock the contract, then write a first state for it.
    const consumer = await holdLock('SELECT id FROM contracts WHERE contract_number = $1 FOR UPDATE', 'h-2');
    await consumer.client.query(
      `INSERT INTO component_states (contract_id, component_type, start_date, start_event_created_at)
       VALUES ($1, 'energy_supply', '2024-12-01', now())`,
      [id],
    );
    const deletion = deleteContract('h-2', TOKEN);
    await someoneWaits();
    await consumer.release();
    expect((await deletion).statusCode).toBe(204);
    expect(await statesOf(id)).toBe(0);
  });

  it('makes a consumer that waited for it find the contract deleted', async () => {
    expect((await create('h-3', ['energy_supply'])).statusCode).toBe(201);
    // The deletion's first statement, not yet committed.
    const deletion = await holdLock(
      `UPDATE contracts SET deleted_at = now(), deleted_by = 'anonymous' WHERE contract_number = $1 AND deleted_at IS NULL`,
      'h-3',
    );
    const decided = consume({
      type: 'supply_energy_start',
      contract: 'h-3',
      date: '2024-12-01',
      createdAt: '2024-11-20T10:00:00Z',
      id: 'h3-e1',
    });
    await someoneWaits();
    await deletion.release();
    expect(await decided).toEqual(['CONTRACT_NOT_FOUND']);
  });
});
