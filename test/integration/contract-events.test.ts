import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider, type BatchDecider } from '../../src/processing/decide-batch.js';
import { decodeMessage, validMessage } from '../../src/processing/decode-message.js';
import type { AuditedEvent } from '../../src/schemas/audit.js';
import { createAuditLog } from '../../src/store/audit-log.js';
import { createContractRepository } from '../../src/store/contracts.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { buildStubHttpApp } from '../support/stub-http-app.js';

// GET /contracts/{n}/events over the real audit: rows written by the real
// decider, read back page by page, oldest first, microseconds intact.

let db: TestDatabase;
let prisma: PrismaClient;
let app: FastifyInstance;
let decideBatch: BatchDecider;
let offset = 0;

const line = (type: string, contract: string, date: string, createdAt: string, eventId: string) =>
  JSON.stringify({ type, contract_number: contract, date, created_at: createdAt, event_id: eventId });
/** Decodes and decides lines as the consumer would, keyed by their contract number. */
const consume = (lines: string[]) =>
  decideBatch(
    lines.map((value) => {
      const key = value.startsWith('{')
        ? Buffer.from((JSON.parse(value) as { contract_number: string }).contract_number)
        : null;
      return decodeMessage({
        key,
        value: Buffer.from(value),
        source: { transport: 'kafka' as const, topic: 'contract-events', partition: 1, offset: String(offset++) },
      });
    }),
  );

interface Page {
  contract_number: string;
  incarnation: string;
  events: AuditedEvent[];
  next_cursor: string | null;
}
const page = async (url: string) => (await app.inject({ method: 'GET', url })).json<Page>();

/** Follows next_cursor from the first page to the last. */
async function allPages(contract: string, limit: number): Promise<Page[]> {
  const pages = [await page(`/contracts/${contract}/events?limit=${limit}`)];
  while (pages.at(-1)!.next_cursor)
    pages.push(await page(`/contracts/${contract}/events?limit=${limit}&cursor=${pages.at(-1)!.next_cursor}`));
  return pages;
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, 2);
  const contracts = createContractRepository(prisma);
  decideBatch = createBatchDecider({ store: createDecisionStore(prisma), clock: systemClock, auditEnabled: true });
  app = await buildStubHttpApp({ contracts, auditLog: createAuditLog(prisma), decideBatch });
  await contracts.create({ contractNumber: 'k1', components: ['energy_supply', 'battery_optimization'] });
  await contracts.create({ contractNumber: 'k2', components: ['energy_supply'] });
  await contracts.create({ contractNumber: 'empty', components: ['energy_supply'] });
  // Arrival order differs from created_at order; two events share one created_at;
  // times differ only in microseconds; other contracts' and broken messages interleave.
  await consume([
    line('supply_energy_start', 'k1', '2024-12-01', '2024-11-20T10:00:00.000002Z', 'e-3'),
    line('supply_energy_start', 'k2', '2024-12-01', '2024-11-20T10:00:00Z', 'other'),
    line('supply_energy_start', 'k1', '2024-11-01', '2024-11-20T10:00:00.000001Z', 'e-2'),
    'not json',
    line('battery_optimization_start', 'k1', '2024-03-03', '2024-11-20T11:00:00+01:00', 'e-1'),
  ]);
  await consume([
    line('supply_energy_end', 'k1', '2024-12-31', '2024-11-20T12:00:00.5Z', 'e-4'),
    line('battery_optimization_end', 'k1', '2024-04-04', '2024-11-20T12:00:00.5Z', 'e-5'),
  ]);
  const [viaHttp] = await decideBatch([
    validMessage(
      {
        event_id: 'e-6',
        type: 'heatpump_optimization_start',
        contract_number: 'k1',
        date: '2024-01-01',
        created_at: '2024-11-21T14:40:00Z',
      },
      { transport: 'http', request_id: 'r-6' },
    ),
  ]);
  expect(viaHttp!.message.code).toBe('COMPONENT_NOT_CONFIGURED');
});
afterAll(async () => {
  await app?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

describe('GET /contracts/{contract_number}/events', () => {
  it("lists only the contract's events, oldest created_at first, ties in arrival order, with each decision", async () => {
    const { contract_number, events, next_cursor } = await page('/contracts/k1/events');
    expect(contract_number).toBe('k1');
    expect(next_cursor).toBeNull();
    expect(events.map((event) => [event.event_id, event.created_at, event.code])).toEqual([
      ['e-1', '2024-11-20T10:00:00.000000Z', 'ACCEPTED'],
      ['e-2', '2024-11-20T10:00:00.000001Z', 'STALE_START'],
      ['e-3', '2024-11-20T10:00:00.000002Z', 'ACCEPTED'],
      ['e-4', '2024-11-20T12:00:00.500000Z', 'ACCEPTED'],
      ['e-5', '2024-11-20T12:00:00.500000Z', 'ACCEPTED'],
      ['e-6', '2024-11-21T14:40:00.000000Z', 'COMPONENT_NOT_CONFIGURED'],
    ]);
    expect(events[1]).toEqual({
      event_id: 'e-2',
      type: 'supply_energy_start',
      component: 'energy_supply',
      action: 'start',
      date: '2024-11-01',
      created_at: '2024-11-20T10:00:00.000001Z',
      status: 'rejected',
      code: 'STALE_START',
      message: 'Start event ignored: older or equal to existing start event.',
      revision: 0,
      source: { transport: 'kafka' as const, topic: 'contract-events', partition: 1, offset: '2' },
      processed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
    });
    expect(events[5]!.source).toBeNull();
  });

  it('pages with an opaque cursor, at any page size, without gaps or repeats', async () => {
    const all = (await page('/contracts/k1/events?limit=500')).events;
    for (const limit of [1, 2, 4, 5, 6]) {
      const pages = await allPages('k1', limit);
      expect(
        pages.flatMap((p) => p.events),
        `limit ${limit}`,
      ).toEqual(all);
      expect(pages.slice(0, -1).every((p) => p.events.length === limit)).toBe(true);
      expect(pages).toHaveLength(Math.ceil(all.length / limit));
    }
  });

  it('defaults to 50 per page and answers an empty first page for a contract without events', async () => {
    expect(await page('/contracts/empty/events')).toEqual({
      contract_number: 'empty',
      incarnation: expect.stringMatching(/^\d+$/),
      events: [],
      next_cursor: null,
    });
    const bulk = Array.from({ length: 60 }, (_, i) =>
      line(
        'supply_energy_start',
        'k2',
        '2024-12-01',
        `2024-11-21T00:00:${String(i).padStart(2, '0')}.123456Z`,
        `bulk-${i}`,
      ),
    );
    await consume(bulk);
    const first = await page('/contracts/k2/events');
    expect(first.events).toHaveLength(50);
    const second = await page(`/contracts/k2/events?cursor=${first.next_cursor}`);
    expect(second.events.map((event) => event.event_id)).toEqual(bulk.slice(49).map((_, i) => `bulk-${i + 49}`));
    expect(second.next_cursor).toBeNull();
  });

  it('answers 404 for an unknown or deleted contract and 422 for a bad cursor or limit', async () => {
    expect((await app.inject({ method: 'GET', url: '/contracts/nobody/events' })).json()).toEqual({
      code: 'CONTRACT_NOT_FOUND',
      message:
        'Contract nobody not found. The events of a deleted contract stay listed by incarnation: see /contracts/nobody/history.',
    });
    expect((await app.inject({ method: 'DELETE', url: '/contracts/empty' })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/contracts/empty/events' })).statusCode).toBe(404);
    for (const query of ['limit=501', 'limit=-1', 'cursor=abc']) {
      const response = await app.inject({ method: 'GET', url: `/contracts/k1/events?${query}` });
      expect(response.statusCode, query).toBe(422);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
    }
  });
});
