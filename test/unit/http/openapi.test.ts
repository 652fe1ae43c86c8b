import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENT_TYPES, EVENT_TYPES } from '../../../src/domain/catalogue.js';
import type { ApiTokens } from '../../../src/http/auth.js';
import { ALIAS_ROUTES, SPEC_ROUTES } from '../../support/documented-routes.js';
import { buildStubHttpApp } from '../../support/stub-http-app.js';

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  deprecated?: boolean;
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
}
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

let app: FastifyInstance;
let spec: OpenApi;
const operations = () =>
  Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })),
  );
const operation = (route: string) => operations().find((entry) => entry.route === route)?.operation;
const schema = (name: string) => spec.components.schemas[name]!;

beforeAll(async () => {
  app = await buildStubHttpApp();
  spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApi>();
});
afterAll(() => app.close());

describe('the OpenAPI document at /docs/json', () => {
  it('is OpenAPI 3.1 with every route of the spec, and only those plus the deprecated aliases', () => {
    expect(spec.openapi).toBe('3.1.0');
    expect(
      operations()
        .map((entry) => entry.route)
        .sort(),
    ).toEqual([...SPEC_ROUTES, ...ALIAS_ROUTES].sort());
    for (const route of SPEC_ROUTES) expect(operation(route)?.deprecated, route).toBeFalsy();
    for (const route of ALIAS_ROUTES) expect(operation(route)?.deprecated, route).toBe(true);
  });

  it('gives every route a tag, a summary and described ErrorResponse answers for its error statuses, 500 included', () => {
    for (const { route, operation: op } of operations()) {
      expect(op.tags?.length, route).toBeGreaterThan(0);
      expect(op.summary, route).toBeTruthy();
      const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
      expect(
        errors.map(([status]) => status),
        route,
      ).toContain('500');
      for (const [status, response] of errors) {
        expect(response.content?.['application/json']?.schema.$ref, `${route} ${status}`).toBe(
          '#/components/schemas/ErrorResponse',
        );
        expect(response.description, `${route} ${status}`).not.toBe('Default Response');
      }
    }
    expect(Object.keys(operation('GET /health/ready')!.responses)).toContain('503');
    expect(Object.keys(operation('POST /contracts')!.responses)).toEqual(
      expect.arrayContaining(['409', '413', '415', '422']),
    );
    expect(Object.keys(operation('GET /contracts/{contract_number}/events')!.responses)).toEqual(
      expect.arrayContaining(['404', '422']),
    );
  });

  it('says what readiness checks: the database reachable and writable, Kafka, the consumer running', () => {
    for (const route of ['GET /health/ready', 'GET /readyz']) {
      const ready = operation(route)!;
      expect(ready.summary, route).toMatch(/^The database takes writes, Kafka answers and the consumer is running/);
      expect(ready.description, route).toContain('reachable and writable');
      expect(ready.description, route).toContain('read-only');
    }
  });

  it('shows the enums of event types, components, statuses and codes', () => {
    const event = schema('ContractEventInput').properties as Record<string, { enum?: string[] }>;
    expect(event.type!.enum).toEqual([...EVENT_TYPES]);
    const contract = schema('CreateContractInput').properties as Record<string, { items?: { enum?: string[] } }>;
    expect(contract.components!.items!.enum).toEqual([...COMPONENT_TYPES]);
    const audited = schema('AuditedEvent').properties as Record<string, { enum?: string[] }>;
    expect(audited.component!.enum).toEqual([...COMPONENT_TYPES]);
    expect(audited.status!.enum).toEqual(['accepted', 'rejected', 'error']);
    expect(audited.code!.enum).toContain('RESTART_AFTER_END');
  });

  it('carries examples on request bodies and responses, taken from the zod schemas', () => {
    for (const name of [
      'ContractEventInput',
      'CreateContractInput',
      'Contract',
      'Timeline',
      'ContractEventsPage',
      'ContractHistory',
      'EventDecision',
      'ErrorResponse',
    ]) {
      expect(schema(name).example, name).toBeDefined();
    }
    // Each example is itself valid against its schema's required fields.
    const page = schema('ContractEventsPage');
    expect(Object.keys(page.example as object).sort()).toEqual([...(page.required as string[])].sort());
  });

  it('names the pagination parameters of the events route', () => {
    const op = operation('GET /contracts/{contract_number}/events') as Operation & {
      parameters: { name: string; in: string; schema: Record<string, unknown> }[];
    };
    const limit = op.parameters.find((parameter) => parameter.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', schema: { default: 50, minimum: 1, maximum: 500 } });
    expect(op.parameters.find((parameter) => parameter.name === 'cursor')).toMatchObject({ in: 'query' });
    expect(op.parameters.find((parameter) => parameter.name === 'incarnation')).toMatchObject({
      in: 'query',
      required: false,
    });
  });
});

describe('the OpenAPI document of an instance with tokens', () => {
  const documentWith = async (tokens: ApiTokens, refusedRateLimit?: { max: number; windowMs: number }) => {
    const withTokens = await buildStubHttpApp({ tokens, refusedRateLimit });
    try {
      return (await withTokens.inject({ method: 'GET', url: '/docs/json' })).json<
        OpenApi & { components: { securitySchemes?: unknown } }
      >();
    } finally {
      await withTokens.close();
    }
  };
  const securedRoutes = (document: OpenApi) =>
    Object.entries(document.paths)
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({
          route: `${method.toUpperCase()} ${path}`,
          op: op as Operation & { security?: unknown },
        })),
      )
      .filter(({ op }) => op.security !== undefined);
  const WRITES = [...SPEC_ROUTES, ...ALIAS_ROUTES].filter((route) => /^(POST|DELETE) /.test(route)).sort();
  const READS = [...SPEC_ROUTES, ...ALIAS_ROUTES].filter((route) => route.startsWith('GET /contract')).sort();

  it('declares no security where no token is configured', () => {
    expect((spec.components as { securitySchemes?: unknown }).securitySchemes).toBeUndefined();
    expect(securedRoutes(spec)).toEqual([]);
  });

  it('with API_TOKEN: a bearer scheme on every route that changes state, with 401', async () => {
    const document = await documentWith({ write: ['w'.repeat(32)] });
    expect(document.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    const secured = securedRoutes(document);
    expect(secured.map(({ route }) => route).sort()).toEqual(WRITES);
    for (const { route, op } of secured) {
      expect(op.security, route).toEqual([{ bearerAuth: [] }]);
      expect(op.responses['401']?.content?.['application/json']?.schema.$ref, route).toBe(
        '#/components/schemas/ErrorResponse',
      );
      expect(op.responses['403'], route).toBeUndefined();
    }
  });

  it('with API_READ_TOKEN too: reads need a token as well, and writes can answer 403', async () => {
    const document = await documentWith({ write: ['w'.repeat(32)], read: ['r'.repeat(32)] });
    const secured = securedRoutes(document);
    expect(secured.map(({ route }) => route).sort()).toEqual([...WRITES, ...READS].sort());
    for (const { route, op } of secured) {
      const refusals = Object.keys(op.responses).filter((status) => status === '401' || status === '403');
      expect(refusals, route).toEqual(WRITES.includes(route) ? ['401', '403'] : ['401']);
    }
    for (const route of ['GET /health/live', 'GET /health/ready', 'GET /livez', 'GET /readyz', 'GET /metrics'])
      expect(
        secured.map((entry) => entry.route),
        route,
      ).not.toContain(route);
  });

  it('with API_TOKEN beyond loopback: reads need the token as well, probes and metrics none', async () => {
    const document = await documentWith({ write: ['w'.repeat(32)], readsNeedToken: true });
    const secured = securedRoutes(document);
    expect(secured.map(({ route }) => route).sort()).toEqual([...WRITES, ...READS].sort());
    for (const { route, op } of secured) expect(op.responses['401'], route).toBeDefined();
  });

  it('with refused requests limited: 429 on every route that asks for a token', async () => {
    const document = await documentWith(
      { write: ['w'.repeat(32)], readsNeedToken: true },
      { max: 30, windowMs: 60_000 },
    );
    for (const { route, op } of securedRoutes(document))
      expect(op.responses['429']?.description, route).toContain('RATE_LIMITED');
    expect(
      (await documentWith({ write: ['w'.repeat(32)], readsNeedToken: true })).paths['/contracts/{contract_number}']?.get
        ?.responses['429'],
    ).toBeUndefined();
  });

  it('with no token at all (ALLOW_UNAUTHENTICATED_HTTP), even beyond loopback: no security anywhere', async () => {
    const document = await documentWith({ readsNeedToken: true });
    expect(document.components.securitySchemes).toBeUndefined();
    expect(securedRoutes(document)).toEqual([]);
  });
});
