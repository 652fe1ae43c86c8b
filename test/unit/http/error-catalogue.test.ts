import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpDependencies } from '../../../src/http/app.js';
import { systemClock } from '../../../src/processing/clock.js';
import { createBatchDecider } from '../../../src/processing/decide-batch.js';
import { HTTP_ERRORS } from '../../../src/schemas/http-error-catalogue.js';
import { createMemoryDecisionStore } from '../../support/memory-decision-store.js';
import { buildStubHttpApp } from '../../support/stub-http-app.js';

// Every error a route answers has a code of the HTTP error catalogue, at the
// status the catalogue gives it, and is listed for that status in the route's
// entry of the OpenAPI document of the same instance. The failures are
// provoked through the real app on stub stores, route by route.

interface Operation {
  security?: unknown[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: { code: string } }> }> }>;
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
}

interface Answer {
  route: string;
  status: number;
  code: string;
}

const WRITE = 'write-token';
const READ = 'read-token';
const event = {
  type: 'supply_energy_start',
  contract_number: '1234',
  date: '2024-12-01',
  created_at: '2024-11-20T10:00:00Z',
};
const failure = new Error('stub: the store failed');
const unavailable = Object.assign(new Error('stub: cannot reach the database'), { code: 'P1001' });

const notFound: Partial<HttpDependencies> = {
  contracts: {
    create: async () => undefined,
    find: async () => undefined,
    findWithStates: async () => undefined,
    delete: async () => false,
  },
  auditLog: { contractEvents: async () => undefined, contractHistory: async () => [] },
};
const failing = (error: Error): Partial<HttpDependencies> => {
  const reject = async () => Promise.reject(error);
  return {
    contracts: { create: reject, find: reject, findWithStates: reject, delete: reject },
    auditLog: { contractEvents: reject, contractHistory: reject },
    decideBatch: reject,
    readiness: reject,
  };
};

let apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
});

/** A valid request to the route (a body where it takes one), which the app's state then makes fail. */
function requestTo(method: string, path: string): InjectOptions {
  const url = path.replace('{contract_number}', '1234');
  if (method !== 'POST') return { method: method as InjectOptions['method'], url };
  return {
    method: 'POST',
    url,
    payload: path.startsWith('/contract') ? { contract_number: '1234', components: ['energy_supply'] } : event,
  };
}

/** Builds an app, sends each route the requests `vary` makes from a valid one, and checks each error answer against the app's own document. */
async function exercise(
  overrides: Partial<HttpDependencies>,
  vary: (request: InjectOptions, operation: Operation) => InjectOptions[],
): Promise<Answer[]> {
  const app = await buildStubHttpApp(overrides);
  apps.push(app);
  const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApi>();
  const answers: Answer[] = [];
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const route = `${method.toUpperCase()} ${path}`;
      for (const request of vary(requestTo(method.toUpperCase(), path), operation)) {
        const response = await app.inject(request);
        if (response.statusCode < 400) continue;
        const { code } = response.json<{ code: string }>();
        answers.push({ route, status: response.statusCode, code });
        expect(
          HTTP_ERRORS[code as keyof typeof HTTP_ERRORS]?.status,
          `${route}: ${code} is not answered with ${response.statusCode} in the catalogue`,
        ).toBe(response.statusCode);
        const documented = Object.keys(
          operation.responses[String(response.statusCode)]?.content?.['application/json']?.examples ?? {},
        );
        expect(
          documented,
          `${route} answers ${response.statusCode} ${code}, which its OpenAPI entry does not list`,
        ).toContain(code);
      }
    }
  }
  return answers;
}

const once = (request: InjectOptions) => [request];
const isDecision = (request: InjectOptions) => request.url === '/events' || request.url === '/event';
const withEvent = (request: InjectOptions, fields: Record<string, string>): InjectOptions => ({
  ...request,
  payload: { ...event, ...fields },
});
const withToken = (request: InjectOptions, token: string): InjectOptions => ({
  ...request,
  headers: { ...request.headers, authorization: `Bearer ${token}` },
});

describe('the HTTP error catalogue', () => {
  it('gives the statuses of the spec to its codes', () => {
    // Written from SPEC §4, not read from the catalogue.
    const spec = {
      UNAUTHORIZED: 401,
      CONTRACT_NOT_FOUND: 404,
      NOT_FOUND: 404,
      CONTRACT_EXISTS: 409,
      EVENT_ID_CONFLICT: 409,
      VALIDATION_ERROR: 422,
      NOT_READY: 503,
      SERVICE_UNAVAILABLE: 503,
      INTERNAL_ERROR: 500,
    };
    for (const [code, status] of Object.entries(spec))
      expect(HTTP_ERRORS[code as keyof typeof HTTP_ERRORS]?.status, code).toBe(status);
  });

  it('is the enum of ErrorResponse.code in the OpenAPI document', async () => {
    const app = await buildStubHttpApp();
    apps.push(app);
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApi>();
    expect(spec.components.schemas.ErrorResponse!.properties.code!.enum?.sort()).toEqual(
      Object.keys(HTTP_ERRORS).sort(),
    );
  });

  it('documents, for every route, every status and code the route answers', async () => {
    const tokens = { write: [WRITE], read: [READ] };
    const answers = [
      // 401 without a token or with a wrong one, 403 for the read token where it may not act.
      ...(await exercise({ tokens }, (request, operation) =>
        operation.security ? [request, withToken(request, 'wrong'), withToken(request, READ)] : [],
      )),
      // 429 once too many were refused.
      ...(await exercise({ tokens, refusedRateLimit: { max: 1, windowMs: 60_000 } }, (request, operation) =>
        operation.security ? [request, request] : [],
      )),
      // 404 for a contract that does not exist; 409 for one that does.
      ...(await exercise(notFound, once)),
      // 422: a path parameter too long, a body that is not an event or a contract, a bad query.
      ...(await exercise(notFound, (request) => [
        { ...request, url: request.url!.toString().replace('1234', 'x'.repeat(65)) },
        { ...request, url: `${request.url!.toString()}?limit=0` },
        ...(request.payload ? [{ ...request, payload: { type: 'solar_start' } }] : []),
      ])),
      // 400, 413 and 415 for bodies that are not JSON, too large or not parsed.
      ...(await exercise({}, (request) =>
        request.payload
          ? [
              { ...request, payload: '{"type":', headers: { 'content-type': 'application/json' } },
              {
                ...request,
                payload: JSON.stringify({ padding: 'x'.repeat(70_000) }),
                headers: { 'content-type': 'application/json' },
              },
              { ...request, payload: 'x', headers: { 'content-type': 'text/plain' } },
            ]
          : [],
      )),
      // 409 for an event_id decided for other content.
      ...(await exercise(
        {
          decideBatch: createBatchDecider({
            store: createMemoryDecisionStore([{ contractNumber: '1234', components: ['energy_supply'] }]),
            clock: systemClock,
            auditEnabled: true,
          }),
        },
        (request) =>
          isDecision(request)
            ? [
                withEvent(request, { event_id: `${request.url}-1` }),
                withEvent(request, { event_id: `${request.url}-1`, date: '2024-12-02' }),
              ]
            : [],
      )),
      // 429 for too many decisions from one address.
      ...(await exercise({ eventsRateLimit: { max: 1, windowMs: 60_000 } }, (request) =>
        isDecision(request) ? [request, request] : [],
      )),
      // 503 while starting, when the database cannot be reached and when not ready; 500 when a store fails.
      ...(await exercise({ databaseReady: () => false }, once)),
      ...(await exercise(
        {
          ...failing(unavailable),
          readiness: async () => ({ ready: false, checks: { database: 'failing', kafka: 'ok', consumer: 'ok' } }),
        },
        once,
      )),
      ...(await exercise(failing(failure), once)),
    ];

    const pairs = new Set(answers.map(({ status, code }) => `${status} ${code}`));
    for (const expected of [
      '401 UNAUTHORIZED',
      '403 FORBIDDEN',
      '404 CONTRACT_NOT_FOUND',
      '409 CONTRACT_EXISTS',
      '409 EVENT_ID_CONFLICT',
      '400 INVALID_JSON',
      '413 PAYLOAD_TOO_LARGE',
      '415 UNSUPPORTED_MEDIA_TYPE',
      '422 VALIDATION_ERROR',
      '429 RATE_LIMITED',
      '503 SERVICE_UNAVAILABLE',
      '503 NOT_READY',
      '500 INTERNAL_ERROR',
    ]) {
      expect(pairs, expected).toContain(expected);
    }
    // Every route was made to fail at least once: a new route cannot slip past.
    const failed = new Set(answers.map((answer) => answer.route));
    const probes = ['GET /health/live', 'GET /livez', 'GET /metrics'];
    const app = await buildStubHttpApp();
    apps.push(app);
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApi>();
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const method of Object.keys(methods)) {
        const route = `${method.toUpperCase()} ${path}`;
        if (!probes.includes(route)) expect(failed, route).toContain(route);
      }
    }
  });
});
