import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installAuthentication, tokenMatches, type ApiTokens } from '../../../src/http/auth.js';
import type { HttpDependencies } from '../../../src/http/app.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ALIAS_ROUTES, SPEC_ROUTES } from '../../support/documented-routes.js';
import { buildStubHttpApp } from '../../support/stub-http-app.js';

// Who may call which route, with the tokens configured or not: every route
// that changes state needs API_TOKEN once it is set, reads need a token only
// once API_READ_TOKEN is set, and probes, metrics and the docs never do.

const WRITE = 'write-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const REALM = 'Bearer realm="contract-events-service"';

const contract = {
  contractNumber: 'c-1',
  components: ['energy_supply' as const],
  createdAt: '2024-01-01T00:00:00.000000Z',
};
/** Stores that answer, so an authorised request gets its 2xx. */
const answering: Partial<HttpDependencies> = {
  contracts: {
    create: async () => contract,
    find: async () => contract,
    findWithStates: async () => undefined,
    delete: async () => true,
  },
};

let app: FastifyInstance | undefined;
afterEach(() => app?.close());

const withToken = (token: string | undefined) => (token === undefined ? {} : { authorization: `Bearer ${token}` });
const deleteContract = (token?: string) =>
  app!.inject({ method: 'DELETE', url: '/contracts/c-1', headers: withToken(token) });
const readContract = (token?: string) =>
  app!.inject({ method: 'GET', url: '/contracts/c-1', headers: withToken(token) });

function expectRefused(response: LightMyRequestResponse, status: 401 | 403, challenge: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['www-authenticate']).toBe(challenge);
  expect(response.json()).toEqual({ code: status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', message: expect.any(String) });
}

/** `GET /contracts/{contract_number}` as a request path. */
const requestOf = (route: string) => {
  const [method, path] = route.split(' ') as [string, string];
  return { method: method as 'GET' | 'POST' | 'DELETE', url: path.replace('{contract_number}', 'c-1') };
};
const OPERATIONS = ['GET /health/live', 'GET /health/ready', 'GET /livez', 'GET /readyz', 'GET /metrics'];
const documented = [...SPEC_ROUTES, ...ALIAS_ROUTES];
const writes = documented.filter((route) => !route.startsWith('GET '));
const reads = documented.filter((route) => route.startsWith('GET ') && !OPERATIONS.includes(route));

describe('without tokens', () => {
  it('leaves every route open', async () => {
    app = await buildStubHttpApp(answering);
    expect((await deleteContract()).statusCode).toBe(204);
    expect((await readContract()).statusCode).toBe(200);
  });
});

describe('with API_TOKEN', () => {
  const tokens: ApiTokens = { write: [WRITE] };

  it('refuses every route that changes state without the token, before reading its body', async () => {
    app = await buildStubHttpApp({ ...answering, tokens });
    expect(writes.length).toBe(6);
    for (const route of writes)
      expectRefused(await app.inject({ ...requestOf(route), payload: { not: 'valid' } }), 401, REALM);
  });

  it('says invalid_token for a wrong token, and lets the right one through', async () => {
    app = await buildStubHttpApp({ ...answering, tokens });
    expectRefused(await deleteContract('wrong-token-0123456789abcdef'), 401, `${REALM}, error="invalid_token"`);
    expectRefused(await deleteContract(`${WRITE}x`), 401, `${REALM}, error="invalid_token"`);
    expectRefused(
      await app.inject({ method: 'DELETE', url: '/contracts/c-1', headers: { authorization: `Basic ${WRITE}` } }),
      401,
      REALM,
    );
    expect((await deleteContract(WRITE)).statusCode).toBe(204);
    const lowerCaseScheme = await app.inject({
      method: 'DELETE',
      url: '/contracts/c-1',
      headers: { authorization: `bearer ${WRITE}` },
    });
    expect(lowerCaseScheme.statusCode).toBe(204);
  });

  it('leaves reads, probes, metrics and the docs open', async () => {
    app = await buildStubHttpApp({ ...answering, tokens });
    expect((await readContract()).statusCode).toBe(200);
    for (const url of ['/health/live', '/health/ready', '/livez', '/readyz', '/metrics', '/docs', '/docs/json']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });

  it('logs a refused request at warn with its id, method, url and address, never the token', async () => {
    let text = '';
    app = await buildStubHttpApp({
      ...answering,
      tokens,
      logger: createLogger('info', { write: (chunk: string) => void (text += chunk) }),
    });
    const response = await deleteContract('a-wrong-token-that-must-not-be-logged');
    expect(response.statusCode).toBe(401);
    const refusals = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'refused a request without a valid API token');
    expect(refusals).toEqual([
      expect.objectContaining({
        level: 40,
        reqId: expect.any(String),
        method: 'DELETE',
        url: '/contracts/c-1',
        remoteAddress: '127.0.0.1',
        status: 401,
        reason: 'invalid_token',
      }),
    ]);
    expect(text).not.toContain('a-wrong-token-that-must-not-be-logged');
  });
});

describe('with API_TOKEN on an address beyond loopback', () => {
  const tokens: ApiTokens = { write: [WRITE], readsNeedToken: true };

  it('needs the API token for every read, aliases and HEAD included', async () => {
    app = await buildStubHttpApp({ ...answering, tokens });
    for (const route of reads) expectRefused(await app.inject(requestOf(route)), 401, REALM);
    const head = await app.inject({ method: 'HEAD', url: '/contracts/c-1' });
    expect([head.statusCode, head.headers['www-authenticate']]).toEqual([401, REALM]);
    expectRefused(await readContract('wrong-token-0123456789abcdef'), 401, `${REALM}, error="invalid_token"`);
    expect((await readContract(WRITE)).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/contract/c-1', headers: withToken(WRITE) })).statusCode).toBe(200);
  });

  it('takes the read token too when there is one', async () => {
    app = await buildStubHttpApp({ ...answering, tokens: { ...tokens, read: [READ] } });
    expect((await readContract(READ)).statusCode).toBe(200);
    expectRefused(await deleteContract(READ), 403, `${REALM}, error="insufficient_scope"`);
  });

  it('keeps probes, metrics and the docs open', async () => {
    app = await buildStubHttpApp({ ...answering, tokens });
    for (const url of ['/health/live', '/health/ready', '/livez', '/readyz', '/metrics', '/docs', '/docs/json']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });

  it('leaves every route open when no token is configured at all (ALLOW_UNAUTHENTICATED_HTTP)', async () => {
    app = await buildStubHttpApp({ ...answering, tokens: { readsNeedToken: true } });
    expect((await readContract()).statusCode).toBe(200);
    expect((await deleteContract()).statusCode).toBe(204);
  });
});

describe('while a token is rotated', () => {
  const NEXT = 'next-token-0123456789abcdef';
  const NEXT_READ = 'next-read-token-0123456789ab';

  it('accepts each configured token, old and new, and still refuses others', async () => {
    app = await buildStubHttpApp({ ...answering, tokens: { write: [NEXT, WRITE], read: [NEXT_READ, READ] } });
    expect((await deleteContract(WRITE)).statusCode).toBe(204);
    expect((await deleteContract(NEXT)).statusCode).toBe(204);
    for (const token of [READ, NEXT_READ, WRITE, NEXT]) expect((await readContract(token)).statusCode, token).toBe(200);
    expectRefused(await deleteContract(NEXT_READ), 403, `${REALM}, error="insufficient_scope"`);
    expectRefused(await deleteContract('neither-of-them-0123456789'), 401, `${REALM}, error="invalid_token"`);
  });
});

describe('with API_TOKEN and API_READ_TOKEN', () => {
  const tokens: ApiTokens = { write: [WRITE], read: [READ] };

  it('needs the read token or the API token for every read, HEAD included', async () => {
    app = await buildStubHttpApp({ ...answering, tokens });
    expect(reads.length).toBe(6);
    for (const route of reads) expectRefused(await app.inject(requestOf(route)), 401, REALM);
    const head = await app.inject({ method: 'HEAD', url: '/contracts/c-1' });
    expect([head.statusCode, head.headers['www-authenticate']]).toEqual([401, REALM]);
    expectRefused(await readContract('wrong-token-0123456789abcdef'), 401, `${REALM}, error="invalid_token"`);
    expect((await readContract(READ)).statusCode).toBe(200);
    expect((await readContract(WRITE)).statusCode).toBe(200);
  });

  it('answers 403 insufficient_scope for the read token on a route that changes state', async () => {
    app = await buildStubHttpApp({ ...answering, tokens });
    expectRefused(await deleteContract(READ), 403, `${REALM}, error="insufficient_scope"`);
    expect((await deleteContract(WRITE)).statusCode).toBe(204);
  });

  it('keeps probes and metrics open', async () => {
    app = await buildStubHttpApp({ ...answering, tokens });
    for (const url of ['/health/live', '/health/ready', '/livez', '/readyz', '/metrics'])
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
  });
});

describe('refused requests', () => {
  const tokens: ApiTokens = { write: [WRITE], read: [READ] };
  const logged = (text: string) =>
    text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'refused a request without a valid API token');
  const from = (remoteAddress: string, token?: string) =>
    app!.inject({ method: 'DELETE', url: '/contracts/c-1', headers: withToken(token), remoteAddress });

  it('are answered 429 once one address has had too many, with Retry-After; a valid token and other addresses are not held up', async () => {
    app = await buildStubHttpApp({ ...answering, tokens, refusedRateLimit: { max: 3, windowMs: 60_000 } });
    // Missing, wrong and read-only tokens all count.
    expect(
      [
        await from('10.0.0.1'),
        await from('10.0.0.1', 'wrong-token-0123456789abcdef'),
        await from('10.0.0.1', READ),
      ].map((r) => r.statusCode),
    ).toEqual([401, 401, 403]);
    const limited = await from('10.0.0.1', 'another-wrong-token-0123456');
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toEqual({
      code: 'RATE_LIMITED',
      message: `Too many requests without a valid token from this address; retry in ${limited.headers['retry-after']} seconds.`,
    });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(55);
    // Reads of the same address count together with changes.
    expect((await app.inject({ method: 'GET', url: '/contracts/c-1', remoteAddress: '10.0.0.1' })).statusCode).toBe(
      429,
    );
    expect((await from('10.0.0.1', WRITE)).statusCode).toBe(204);
    expect((await from('10.0.0.2', 'wrong-token-0123456789abcdef')).statusCode).toBe(401);
  });

  it('are not limited without a limit, nor on open routes', async () => {
    app = await buildStubHttpApp({ ...answering, tokens });
    for (let i = 0; i < 5; i += 1) expect((await from('10.0.0.1')).statusCode).toBe(401);
    await app.close();
    app = await buildStubHttpApp({
      ...answering,
      tokens: { write: [WRITE] },
      refusedRateLimit: { max: 1, windowMs: 60_000 },
    });
    for (let i = 0; i < 3; i += 1)
      expect((await app.inject({ method: 'GET', url: '/contracts/c-1', remoteAddress: '10.0.0.1' })).statusCode).toBe(
        200,
      );
  });

  it('are logged once per reason while they keep coming, not once per request', async () => {
    let text = '';
    const logger = createLogger('info', { write: (chunk: string) => void (text += chunk) });
    app = await buildStubHttpApp({ ...answering, tokens, logger, refusedRateLimit: { max: 15, windowMs: 60_000 } });
    const statuses = [];
    for (const token of [undefined, 'wrong-token-0123456789abcdef', READ]) {
      for (let i = 0; i < 5; i += 1) statuses.push((await from('10.0.0.1', token)).statusCode);
    }
    for (let i = 0; i < 5; i += 1) statuses.push((await from('10.0.0.1')).statusCode);
    expect(statuses).toEqual([
      ...Array<number>(10).fill(401),
      ...Array<number>(5).fill(403),
      ...Array<number>(5).fill(429),
    ]);
    expect(logged(text).map((line) => [line.reason, line.status])).toEqual([
      ['missing_token', 401],
      ['invalid_token', 401],
      ['insufficient_scope', 403],
      ['too_many_refusals', 429],
    ]);
  });

  it('are logged with the URL cut to 256 characters', async () => {
    let text = '';
    app = await buildStubHttpApp({
      ...answering,
      tokens,
      logger: createLogger('info', { write: (chunk: string) => void (text += chunk) }),
    });
    const url = `/contracts/c-1?${'x'.repeat(10_000)}`;
    expect((await app.inject({ method: 'DELETE', url })).statusCode).toBe(401);
    const [line] = logged(text);
    expect(line?.url).toBe(`${url.slice(0, 256)}…`);
  });
});

describe('route access', () => {
  it('refuses to start with a documented route that declares no access', async () => {
    app = Fastify();
    installAuthentication(app, {});
    expect(() => app!.get('/undeclared', async () => 'ok')).toThrow(/GET \/undeclared declares no access/);
  });
});

describe('tokenMatches', () => {
  it('accepts only the same token, whatever the lengths, without throwing', () => {
    expect(tokenMatches(WRITE, WRITE)).toBe(true);
    expect(tokenMatches(WRITE, READ)).toBe(false);
    expect(tokenMatches(WRITE.slice(0, -1), WRITE)).toBe(false);
    expect(tokenMatches(`${WRITE}0`, WRITE)).toBe(false);
    expect(tokenMatches('', WRITE)).toBe(false);
  });
});
