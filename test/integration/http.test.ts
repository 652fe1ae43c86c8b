import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../../src/http/app.js';
import type { ReadinessReport } from '../../src/http/routes/operations.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider } from '../../src/processing/decide-batch.js';
import { createAuditLog } from '../../src/store/audit-log.js';
import { createContractRepository } from '../../src/store/contracts.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  ALL_COMPONENTS,
  WORKED_EXAMPLE_CODES,
  WORKED_EXAMPLE_LINES,
  WORKED_EXAMPLE_TIMELINE,
} from '../support/worked-example.js';

let db: TestDatabase;
let prisma: PrismaClient;
let app: FastifyInstance;
let readiness: ReadinessReport = { ready: true, checks: { database: 'ok', kafka: 'ok', consumer: 'ok' } };

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, 4);
  const metrics = createMetrics();
  app = await buildHttpApp({
    logger: createLogger('silent'),
    metrics,
    contracts: createContractRepository(prisma),
    auditLog: createAuditLog(prisma),
    decideBatch: createBatchDecider({ store: createDecisionStore(prisma), clock: systemClock, auditEnabled: true }),
    readiness: async () => readiness,
  });
});
afterAll(async () => {
  await app?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });

describe('contracts', () => {
  it('creates, reads and deletes a contract', async () => {
    const created = await post('/contracts', {
      contract_number: 'c-1',
      components: ['energy_supply'],
      created_at: '2024-01-01T00:00:00.123456+01:00',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      contract_number: 'c-1',
      components: ['energy_supply'],
      created_at: '2023-12-31T23:00:00.123456Z',
    });
    expect((await app.inject({ method: 'GET', url: '/contracts/c-1' })).json()).toEqual(created.json());
    expect((await app.inject({ method: 'DELETE', url: '/contracts/c-1' })).statusCode).toBe(204);
    const gone = await app.inject({ method: 'GET', url: '/contracts/c-1' });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({ code: 'CONTRACT_NOT_FOUND', message: 'Contract c-1 not found.' });
    expect((await app.inject({ method: 'DELETE', url: '/contracts/c-1' })).statusCode).toBe(404);
  });

  it('answers 409 for a duplicate contract number', async () => {
    await post('/contracts', { contract_number: 'dup', components: ['energy_supply'] });
    const again = await post('/contracts', { contract_number: 'dup', components: ['battery_optimization'] });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'CONTRACT_EXISTS' });
  });

  // Each body breaks one rule, so it has one issue, at the path of the field (or element) that breaks it.
  it.each([
    [{ contract_number: '', components: ['energy_supply'] }, 'contract_number'],
    [{ contract_number: 'x'.repeat(65), components: ['energy_supply'] }, 'contract_number'],
    [{ contract_number: 'a', components: [] }, 'components'],
    [{ contract_number: 'a', components: ['solar'] }, 'components.0'],
    [{ contract_number: 'a', components: ['energy_supply', 'energy_supply'] }, 'components'],
    [{ contract_number: 'a', components: ['energy_supply'], created_at: 'yesterday' }, 'created_at'],
  ])('answers 422 with the issues for %j', async (body, path) => {
    const response = await post('/contracts', body);
    expect(response.statusCode).toBe(422);
    const error = response.json();
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message).toContain(path);
    expect(error.details.issues.map((issue: { path: string }) => issue.path)).toEqual([path]);
  });

  it('answers 415 for a body that is not JSON and 400 for broken JSON', async () => {
    const text = await app.inject({
      method: 'POST',
      url: '/contracts',
      payload: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const broken = await app.inject({
      method: 'POST',
      url: '/contracts',
      payload: '{',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'INVALID_JSON' });
  });

  it('answers unknown routes with a 404 ErrorResponse', async () => {
    const response = await app.inject({ method: 'GET', url: '/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('events and timelines', () => {
  it('decides the worked example over HTTP and serves its timeline', async () => {
    await post('/contracts', { contract_number: '1234', components: [...ALL_COMPONENTS] });
    const codes: string[] = [];
    for (const line of WORKED_EXAMPLE_LINES) {
      const response = await post('/events', JSON.parse(line));
      expect(response.statusCode).toBe(200);
      codes.push(response.json().code);
    }
    expect(codes).toEqual(WORKED_EXAMPLE_CODES);
    const timeline = await app.inject({ method: 'GET', url: '/contracts/1234/timeline' });
    expect(timeline.json()).toEqual(WORKED_EXAMPLE_TIMELINE);
    const alias = await app.inject({ method: 'GET', url: '/contract/1234/contract_timeline' });
    expect(alias.json()).toEqual(WORKED_EXAMPLE_TIMELINE);
  });

  it('answers a repeated event as a duplicate', async () => {
    await post('/contracts', { contract_number: 'rep', components: ['energy_supply'] });
    const body = {
      type: 'supply_energy_start',
      contract_number: 'rep',
      date: '2024-01-01',
      created_at: '2024-01-01T00:00:00Z',
      event_id: 'rep-1',
    };
    expect((await post('/events', body)).json()).toMatchObject({
      status: 'accepted',
      duplicate: false,
      event_id: 'rep-1',
    });
    expect((await post('/event', body)).json()).toMatchObject({
      status: 'accepted',
      duplicate: true,
      event_id: 'rep-1',
    });
  });

  it('answers 409 EVENT_ID_CONFLICT for an event_id reused with other content, changes nothing and counts it', async () => {
    await post('/contracts', { contract_number: 'conf', components: ['energy_supply'] });
    const body = {
      type: 'supply_energy_start',
      contract_number: 'conf',
      date: '2024-01-01',
      created_at: '2024-01-01T00:00:00Z',
      event_id: 'conf-1',
    };
    expect((await post('/events', body)).statusCode).toBe(200);
    const conflict = await post('/events', { ...body, date: '2024-01-02' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({
      code: 'EVENT_ID_CONFLICT',
      message: expect.stringContaining('conf-1') as string,
      details: { event_id: 'conf-1', decided: { status: 'accepted', code: 'ACCEPTED' } },
    });
    expect((await app.inject({ method: 'GET', url: '/contracts/conf/timeline' })).json()).toMatchObject({
      components: { energy_supply: { start: '2024-01-01' } },
    });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('contract_events_event_id_conflicts_total{source="http"} 1');
    expect(metrics).toMatch(
      /contract_events_processed_total\{status="error",code="EVENT_ID_CONFLICT",type="supply_energy_start",duplicate="false"\} 1/,
    );
  });

  it("lets no producer's event_id take the id a later event without one derives, and refuses ids in that form (issue 19)", async () => {
    await post('/contracts', { contract_number: 'claim', components: ['energy_supply', 'battery_optimization'] });
    const later = {
      type: 'supply_energy_start',
      contract_number: 'claim',
      date: '2024-01-01',
      created_at: '2024-01-01T00:00:00Z',
    };
    // The form derived ids had: printf '%s\n%s\n%s\n%s' supply_energy_start claim 2024-01-01 2024-01-01T00:00:00.000000Z | sha256sum
    const digest = '51c5a13caa11cd36c554cec94e85b40920441017badc0ed7064396d4abfa404c';
    const claim = await post('/events', { ...later, type: 'battery_optimization_start', event_id: digest });
    expect(claim.json()).toMatchObject({ status: 'accepted', event_id: digest });
    const answer = await post('/events', later);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({
      status: 'accepted',
      code: 'ACCEPTED',
      duplicate: false,
      event_id: `derived:${digest}`,
    });
    expect((await post('/events', later)).json()).toMatchObject({
      status: 'accepted',
      duplicate: true,
      event_id: `derived:${digest}`,
    });
    // Nor in the form derived ids have now.
    const taken = await post('/events', { ...later, date: '2024-01-02', event_id: `derived:${digest}` });
    expect(taken.statusCode).toBe(422);
    expect(taken.json()).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: {
        issues: [{ path: 'event_id', message: expect.stringContaining('must not start with "derived:"') as string }],
      },
    });
  });

  it('answers 422 for an invalid event and 404 for the timeline of an unknown contract', async () => {
    const invalid = await post('/events', {
      type: 'supply_energy_start',
      contract_number: 'x',
      date: '2024-02-30',
      created_at: 'now',
    });
    expect(invalid.statusCode).toBe(422);
    expect(
      invalid
        .json()
        .details.issues.map((issue: { path: string }) => issue.path)
        .sort(),
    ).toEqual(['created_at', 'date']);
    expect((await app.inject({ method: 'GET', url: '/contracts/none/timeline' })).statusCode).toBe(404);
  });

  it('lists every configured component in the timeline, unset ones as null', async () => {
    await post('/contracts', { contract_number: 'fresh', components: ['heatpump_optimization', 'energy_supply'] });
    const timeline = await app.inject({ method: 'GET', url: '/contracts/fresh/timeline' });
    expect(timeline.json()).toEqual({
      contract_number: 'fresh',
      components: { energy_supply: { start: null, end: null }, heatpump_optimization: { start: null, end: null } },
    });
  });
});

describe('operations', () => {
  it('reports liveness, readiness and metrics', async () => {
    expect((await app.inject({ method: 'GET', url: '/health/live' })).json()).toEqual({ status: 'live' });
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    readiness = { ready: false, checks: { database: 'failing', kafka: 'ok', consumer: 'ok' } };
    const notReady = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({ code: 'NOT_READY', details: { database: 'failing' } });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toMatch(
      /contract_events_processed_total\{status="accepted",code="ACCEPTED",type="supply_energy_start",duplicate="false"\} \d+/,
    );
    expect(metrics.body).toContain('contract_events_processing_seconds_bucket');
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/contracts', '/contracts/{contract_number}/timeline', '/events']),
    );
    expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });
});
