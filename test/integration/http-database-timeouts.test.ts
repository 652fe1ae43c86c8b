import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider } from '../../src/processing/decide-batch.js';
import { createContractRepository } from '../../src/store/contracts.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { createPrismaClient, type PrismaClient, type SessionTimeouts } from '../../src/store/prisma-client.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';
import { createContracts } from '../support/in-process-service.js';
import { buildStubHttpApp } from '../support/stub-http-app.js';

// The HTTP pool's connections carry statement_timeout and lock_timeout: a
// request stuck behind a lock or a slow statement is answered 503 with
// Retry-After, and its transaction leaves nothing behind. So is one that finds
// every pooled connection busy.

let db: TestDatabase;
let prisma: PrismaClient | undefined;
let app: FastifyInstance | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  await createContracts(db, [{ contractNumber: '1234', components: ['energy_supply'] }]);
});
afterEach(async () => {
  await app?.close();
  await prisma?.$disconnect();
});
afterAll(() => db?.drop());

async function buildApp(poolSize: number, timeouts: SessionTimeouts) {
  prisma = createPrismaClient(db.url, poolSize, { timeouts });
  const decideBatch = createBatchDecider({
    store: createDecisionStore(prisma),
    clock: systemClock,
    auditEnabled: true,
  });
  app = await buildStubHttpApp({ contracts: createContractRepository(prisma), decideBatch });
  return app;
}

const event = (eventId: string) => ({
  type: 'supply_energy_start',
  contract_number: '1234',
  date: '2024-12-01',
  created_at: '2024-11-20T10:00:00Z',
  event_id: eventId,
});

/** Runs `work` while another session holds the outbox table: a decision then waits at its last statement, after writing its state and ledger rows. */
const whileOutboxLocked = <T>(work: () => Promise<T>) =>
  withClient(db.url, async (client: pg.Client) => {
    await client.query('BEGIN');
    await client.query('LOCK TABLE outcome_outbox IN ACCESS EXCLUSIVE MODE');
    try {
      return await work();
    } finally {
      await client.query('ROLLBACK');
    }
  });

const leftBehind = (eventId: string) =>
  withClient(db.url, async (client) => ({
    ledger: (await client.query('SELECT count(*)::int AS n FROM processed_events WHERE event_id = $1', [eventId]))
      .rows[0].n as number,
    audit: (await client.query(`SELECT count(*)::int AS n FROM event_audit WHERE contract_number = '1234'`)).rows[0]
      .n as number,
    states: (await client.query('SELECT count(*)::int AS n FROM component_states')).rows[0].n as number,
    outbox: (await client.query('SELECT count(*)::int AS n FROM outcome_outbox')).rows[0].n as number,
  }));

describe('database timeouts of HTTP requests', () => {
  it.each([
    ['lock_timeout (55P03)', { statementTimeoutMs: 10_000, lockTimeoutMs: 300 }],
    ['statement_timeout (57014)', { statementTimeoutMs: 300, lockTimeoutMs: 10_000 }],
  ])(
    'a decision cancelled by %s is answered 503 with Retry-After, and nothing of it is written',
    async (_name, timeouts) => {
      const http = await buildApp(2, timeouts);
      const started = Date.now();
      const response = await whileOutboxLocked(() =>
        http.inject({ method: 'POST', url: '/events', payload: event(`timeout-${timeouts.lockTimeoutMs}`) }),
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('retry later') });
      expect(response.headers['retry-after']).toBe('5');
      expect(await leftBehind(`timeout-${timeouts.lockTimeoutMs}`)).toEqual({
        ledger: 0,
        audit: 0,
        states: 0,
        outbox: 0,
      });
    },
  );

  it('a request that finds every pooled connection busy is answered 503, and the busy one completes', async () => {
    const http = await buildApp(1, { statementTimeoutMs: 30_000, lockTimeoutMs: 30_000 });
    // The decision holds the only connection while it waits for the outbox.
    const decision = await whileOutboxLocked(async () => {
      const pending = http.inject({ method: 'POST', url: '/events', payload: event('pool-holder') });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const read = await http.inject({ method: 'GET', url: '/contracts/1234' });
      expect(read.statusCode).toBe(503);
      expect(read.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(read.headers['retry-after']).toBe('5');
      return { pending };
    });
    expect((await decision.pending).statusCode).toBe(200);
    expect(await leftBehind('pool-holder')).toMatchObject({ ledger: 1, outbox: 1 });
  }, 20_000);
});
