import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildStubHttpApp } from '../../support/stub-http-app.js';

// HTTP listens before the database schema exists: API routes must then say
// "come back later", not fail on a missing table; probes and docs answer.

let app: FastifyInstance | undefined;
afterEach(() => app?.close());

describe('while start-up prepares the database', () => {
  it('answers API routes 503 SERVICE_UNAVAILABLE with Retry-After, and probes, metrics and docs as usual', async () => {
    let databaseReady = false;
    const contract = {
      contractNumber: 'c-1',
      components: ['energy_supply' as const],
      createdAt: '2024-01-01T00:00:00.000000Z',
    };
    app = await buildStubHttpApp({
      databaseReady: () => databaseReady,
      contracts: {
        create: async () => contract,
        find: async () => contract,
        findWithStates: async () => undefined,
        delete: async () => true,
      },
    });
    for (const request of [
      { method: 'GET', url: '/contracts/c-1' },
      { method: 'DELETE', url: '/contracts/c-1' },
      { method: 'POST', url: '/events', payload: {} },
    ] as const) {
      const response = await app.inject(request);
      expect(response.statusCode, request.url).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toEqual({
        code: 'SERVICE_UNAVAILABLE',
        message: 'The service is starting; retry later.',
      });
    }
    for (const url of ['/health/live', '/health/ready', '/metrics', '/docs/json'])
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);

    databaseReady = true;
    expect((await app.inject({ method: 'GET', url: '/contracts/c-1' })).statusCode).toBe(200);
  });

  it('checks the token first, so a caller without one learns nothing about the state', async () => {
    app = await buildStubHttpApp({ databaseReady: () => false, tokens: { write: ['w'.repeat(32)] } });
    expect((await app.inject({ method: 'DELETE', url: '/contracts/c-1' })).statusCode).toBe(401);
    expect(
      (
        await app.inject({
          method: 'DELETE',
          url: '/contracts/c-1',
          headers: { authorization: `Bearer ${'w'.repeat(32)}` },
        })
      ).statusCode,
    ).toBe(503);
  });
});
