import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../../src/http/app.js';
import { encodeCursor } from '../../../src/schemas/page-cursor.js';
import { buildStubHttpApp } from '../../support/stub-http-app.js';
import { systemClock } from '../../../src/processing/clock.js';
import { createBatchDecider } from '../../../src/processing/decide-batch.js';
import { createContractRepository } from '../../../src/store/contracts.js';
import { createDecisionStore } from '../../../src/store/decision-store.js';
import { createPrismaClient } from '../../../src/store/prisma-client.js';

// Every non-2xx answer is an ErrorResponse with the right status; the stubs
// stand in for Postgres, so each error path can be provoked on purpose.

let app: FastifyInstance | undefined;
afterEach(() => app?.close());

const event = {
  type: 'supply_energy_start',
  contract_number: '1234',
  date: '2024-12-01',
  created_at: '2024-11-20T10:00:00Z',
};

/** Checks the ErrorResponse shape and nothing else in the body. */
function expectError(
  response: { statusCode: number; json: () => unknown; headers: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toContain('application/json');
  const body = response.json() as Record<string, unknown>;
  expect(body).toMatchObject({ code, message: expect.any(String) });
  expect(Object.keys(body).every((key) => ['code', 'message', 'details'].includes(key))).toBe(true);
  return body;
}

describe('error answers', () => {
  it('404 for an unknown route, in the ErrorResponse shape', async () => {
    app = await buildStubHttpApp();
    expectError(await app.inject({ method: 'GET', url: '/no/such/route' }), 404, 'NOT_FOUND');
    expectError(await app.inject({ method: 'PUT', url: '/contracts/1234' }), 404, 'NOT_FOUND');
  });

  it('404 for an unknown contract on every contract route', async () => {
    app = await buildStubHttpApp({
      contracts: {
        create: async () => undefined,
        find: async () => undefined,
        findWithStates: async () => undefined,
        delete: async () => false,
      },
      auditLog: { contractEvents: async () => undefined, contractHistory: async () => [] },
    });
    for (const [method, url] of [
      ['GET', '/contracts/none'],
      ['DELETE', '/contracts/none'],
      ['GET', '/contracts/none/timeline'],
      ['GET', '/contracts/none/history'],
      ['GET', '/contract/none/contract_timeline'],
    ] as const) {
      const body = expectError(await app.inject({ method, url }), 404, 'CONTRACT_NOT_FOUND');
      expect(body.message).toBe('Contract none not found.');
    }
    // The events of a deleted contract are still there, by incarnation: the answer says where to look.
    const events = expectError(
      await app.inject({ method: 'GET', url: '/contracts/none/events' }),
      404,
      'CONTRACT_NOT_FOUND',
    );
    expect(events.message).toMatch(/^Contract none not found\. .*\/contracts\/none\/history/);
    const incarnation = expectError(
      await app.inject({ method: 'GET', url: '/contracts/none/events?incarnation=7' }),
      404,
      'CONTRACT_NOT_FOUND',
    );
    expect(incarnation.message).toMatch(/no incarnation 7.*\/contracts\/none\/history/);
  });

  it('409 for a contract number that is taken', async () => {
    app = await buildStubHttpApp({
      contracts: {
        create: async () => undefined,
        find: async () => undefined,
        findWithStates: async () => undefined,
        delete: async () => false,
      },
    });
    expectError(
      await app.inject({
        method: 'POST',
        url: '/contracts',
        payload: { contract_number: '1', components: ['energy_supply'] },
      }),
      409,
      'CONTRACT_EXISTS',
    );
  });

  it('422 with the zod issues in details, for bodies, path parameters and query strings', async () => {
    app = await buildStubHttpApp();
    const body = expectError(
      await app.inject({
        method: 'POST',
        url: '/events',
        payload: { ...event, type: 'solar_start', date: '2024-02-30' },
      }),
      422,
      'VALIDATION_ERROR',
    );
    expect(body.details).toMatchObject({
      in: 'body',
      issues: expect.arrayContaining([
        expect.objectContaining({ path: 'type' }),
        expect.objectContaining({ path: 'date' }),
      ]),
    });
    const param = expectError(
      await app.inject({ method: 'GET', url: `/contracts/${'x'.repeat(65)}` }),
      422,
      'VALIDATION_ERROR',
    );
    expect(param.details).toMatchObject({
      in: 'params',
      issues: [expect.objectContaining({ path: 'contract_number' })],
    });
    const badCursor = `cursor=${Buffer.from('["yesterday","1"]').toString('base64url')}`;
    for (const query of [
      'limit=0',
      'limit=501',
      'limit=ten',
      'cursor=not-a-cursor',
      badCursor,
      'incarnation=0',
      'incarnation=abc',
      'incarnation=-1',
    ]) {
      const bad = expectError(
        await app.inject({ method: 'GET', url: `/contracts/1234/events?${query}` }),
        422,
        'VALIDATION_ERROR',
      );
      expect(bad.details, query).toMatchObject({
        in: 'querystring',
        issues: [expect.objectContaining({ path: query.split('=')[0] })],
      });
    }
  });

  it('passes a cursor it issued through to the store, decoded', async () => {
    const position = { createdAt: '2024-11-20T10:00:00.000001Z', id: '7' };
    let asked: unknown;
    app = await buildStubHttpApp({
      auditLog: {
        contractEvents: async (_number, page) => ((asked = page), { incarnation: '12', events: [], next: null }),
        contractHistory: async () => [],
      },
    });
    const response = await app.inject({
      method: 'GET',
      url: `/contracts/1234/events?limit=3&cursor=${encodeCursor(position)}`,
    });
    expect(response.json()).toEqual({ contract_number: '1234', incarnation: '12', events: [], next_cursor: null });
    expect(asked).toEqual({ limit: 3, after: position });
    await app.inject({ method: 'GET', url: '/contracts/1234/events?incarnation=12' });
    expect(asked).toEqual({ limit: 50, incarnation: '12' });
  });

  it('415 for a body that is not JSON, 400 for broken JSON', async () => {
    app = await buildStubHttpApp();
    expectError(
      await app.inject({
        method: 'POST',
        url: '/events',
        payload: 'type=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await app.inject({ method: 'POST', url: '/contracts', payload: 'x', headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await app.inject({
        method: 'POST',
        url: '/events',
        payload: '{"type":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'INVALID_JSON',
    );
  });

  it(`413 for a body over the documented ${BODY_LIMIT_BYTES / 1024} KiB`, async () => {
    app = await buildStubHttpApp();
    expect(BODY_LIMIT_BYTES).toBe(64 * 1024);
    const payload = JSON.stringify({ ...event, padding: 'x'.repeat(BODY_LIMIT_BYTES) });
    expectError(
      await app.inject({ method: 'POST', url: '/events', payload, headers: { 'content-type': 'application/json' } }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('503 when not ready, with each check in details', async () => {
    app = await buildStubHttpApp({
      readiness: async () => ({ ready: false, checks: { database: 'ok', kafka: 'ok', consumer: 'failing' } }),
    });
    for (const url of ['/health/ready', '/readyz']) {
      const body = expectError(await app.inject({ method: 'GET', url }), 503, 'NOT_READY');
      expect(body.details, url).toEqual({ database: 'ok', kafka: 'ok', consumer: 'failing' });
    }
  });

  it('503 with Retry-After when the database cannot be reached, for reads and for decisions alike', async () => {
    // A real Prisma client on a port where nothing listens: the failure Prisma really raises.
    const prisma = createPrismaClient('postgresql://postgres@127.0.0.1:1/none', 1);
    try {
      const contracts = createContractRepository(prisma);
      const decideBatch = createBatchDecider({
        store: createDecisionStore(prisma),
        clock: systemClock,
        auditEnabled: true,
      });
      app = await buildStubHttpApp({ contracts, decideBatch });
      for (const request of [
        { method: 'GET', url: '/contracts/1234' },
        { method: 'POST', url: '/events', payload: event },
      ] as const) {
        const response = await app.inject(request);
        expect(expectError(response, 503, 'SERVICE_UNAVAILABLE').message).toContain('retry later');
        expect(response.headers['retry-after']).toBe('5');
      }
    } finally {
      await prisma.$disconnect();
    }
  });

  it('500 with a generic message when a store fails, leaking neither SQL, connection string nor stack', async () => {
    const failure = new Error(
      'Raw query failed: SELECT id FROM contracts WHERE contract_number = $1 (postgresql://postgres:s3cret@db:5432/contract_events)',
    );
    app = await buildStubHttpApp({
      contracts: {
        create: async () => Promise.reject(failure),
        find: async () => Promise.reject(failure),
        findWithStates: async () => Promise.reject(failure),
        delete: async () => Promise.reject(failure),
      },
      auditLog: {
        contractEvents: async () => Promise.reject(failure),
        contractHistory: async () => Promise.reject(failure),
      },
      decideBatch: async () => Promise.reject(failure),
    });
    for (const request of [
      { method: 'GET', url: '/contracts/1234' },
      { method: 'GET', url: '/contracts/1234/events' },
      { method: 'GET', url: '/contracts/1234/history' },
      { method: 'POST', url: '/events', payload: event },
    ] as const) {
      const response = await app.inject(request);
      expect(expectError(response, 500, 'INTERNAL_ERROR')).toEqual({
        code: 'INTERNAL_ERROR',
        message: 'An unexpected error occurred.',
      });
      expect(response.body).not.toMatch(/SELECT|s3cret|postgresql:|at |\.ts/);
    }
  });
});
