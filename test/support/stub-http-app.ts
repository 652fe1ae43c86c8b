import type { FastifyInstance } from 'fastify';
import { buildHttpApp, type HttpDependencies } from '../../src/http/app.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';

const unexpected = (what: string) => () => Promise.reject(new Error(`stub: ${what} was not expected in this test`));

/** The real HTTP app on stub dependencies: for tests of the HTTP surface itself, without a database. */
export function buildStubHttpApp(overrides: Partial<HttpDependencies> = {}): Promise<FastifyInstance> {
  return buildHttpApp(stubHttpDependencies(overrides));
}

/** Dependencies of the HTTP apps that fail any call a test did not stub. */
export function stubHttpDependencies(overrides: Partial<HttpDependencies> = {}): HttpDependencies {
  return {
    logger: createLogger('silent'),
    metrics: createMetrics(),
    contracts: {
      create: unexpected('create'),
      find: unexpected('find'),
      findWithStates: unexpected('findWithStates'),
      delete: unexpected('delete'),
    },
    auditLog: { contractEvents: unexpected('contractEvents'), contractHistory: unexpected('contractHistory') },
    decideBatch: unexpected('decideBatch'),
    readiness: async () => ({ ready: true, checks: { database: 'ok', kafka: 'ok', consumer: 'ok' } }),
    ...overrides,
  };
}
