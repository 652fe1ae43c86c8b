import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { RateLimit } from '../../../src/http/rate-limit.js';
import type { BatchDecider } from '../../../src/processing/decide-batch.js';
import { buildOutcome } from '../../../src/processing/outcome.js';
import { buildStubHttpApp } from '../../support/stub-http-app.js';

// POST /events is limited per client address (EVENTS_RATE_LIMIT_MAX per
// EVENTS_RATE_LIMIT_WINDOW_MS); no other route is.

let app: FastifyInstance | undefined;
afterEach(() => app?.close());

const event = {
  type: 'supply_energy_start',
  contract_number: '1234',
  date: '2024-12-01',
  created_at: '2024-11-20T10:00:00Z',
};
const accept: BatchDecider = async (messages) =>
  messages.map((message) =>
    buildOutcome(
      message,
      { status: 'accepted', code: 'ACCEPTED', message: 'Accepted.' },
      false,
      '2024-11-20T10:00:00.000000Z',
    ),
  );

const noContracts = {
  create: async () => undefined,
  find: async () => undefined,
  findWithStates: async () => undefined,
  delete: async () => false,
};
const build = (eventsRateLimit: RateLimit | undefined) =>
  buildStubHttpApp({ decideBatch: accept, contracts: noContracts, eventsRateLimit });
const postEvent = (url = '/events', remoteAddress = '10.0.0.1') =>
  app!.inject({ method: 'POST', url, payload: event, remoteAddress });

describe('the POST /events rate limit', () => {
  it('answers the request over the limit 429 RATE_LIMITED, saying when to retry, with Retry-After and the RateLimit headers', async () => {
    app = await build({ max: 2, windowMs: 60_000 });
    const allowed = [await postEvent(), await postEvent()];
    expect(allowed.map((response) => response.statusCode)).toEqual([200, 200]);
    expect(allowed[1]!.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '0' });

    const refused = await postEvent();
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toContain('application/json');
    expect(refused.json()).toEqual({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/^Too many requests to POST \/events from this address; retry in \d+ seconds?\.$/),
    });
    expect(refused.headers).toMatchObject({
      'ratelimit-limit': '2',
      'ratelimit-remaining': '0',
      'ratelimit-reset': expect.stringMatching(/^\d+$/),
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(55);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  // After 2.5 s any rounding but up differs from Retry-After; after a minute, so would "1 minute" or dropping the second begun.
  it.each([
    [2_500, 3],
    [60_000, 60],
  ])('says in its message the seconds that Retry-After says (window %i ms)', async (windowMs, expected) => {
    app = await build({ max: 1, windowMs });
    await postEvent();
    const refused = await postEvent();
    expect(refused.headers['retry-after']).toBe(String(expected));
    expect(refused.json<{ message: string }>().message).toBe(
      `Too many requests to POST /events from this address; retry in ${expected} seconds.`,
    );
  });

  it('counts per client address, the deprecated alias POST /event together with POST /events', async () => {
    app = await build({ max: 2, windowMs: 60_000 });
    expect((await postEvent('/events', '10.0.0.1')).statusCode).toBe(200);
    expect((await postEvent('/event', '10.0.0.1')).statusCode).toBe(200);
    expect((await postEvent('/event', '10.0.0.1')).statusCode).toBe(429);
    expect((await postEvent('/events', '10.0.0.1')).statusCode).toBe(429);
    expect((await postEvent('/events', '10.0.0.2')).statusCode).toBe(200);
  });

  it('refuses before reading the body, so even an invalid request over the limit costs no validation', async () => {
    app = await build({ max: 1, windowMs: 60_000 });
    await postEvent();
    const refused = await app.inject({
      method: 'POST',
      url: '/events',
      payload: '{"type":',
      headers: { 'content-type': 'application/json' },
      remoteAddress: '10.0.0.1',
    });
    expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('limits no other route', async () => {
    app = await build({ max: 1, windowMs: 60_000 });
    for (let i = 0; i < 3; i += 1) {
      expect((await app.inject({ method: 'GET', url: '/contracts/1234', remoteAddress: '10.0.0.1' })).statusCode).toBe(
        404,
      );
      expect((await app.inject({ method: 'GET', url: '/health/live', remoteAddress: '10.0.0.1' })).statusCode).toBe(
        200,
      );
    }
  });

  it.each([
    ['max 0', { max: 0, windowMs: 60_000 }],
    ['no limit given', undefined],
  ])('is off with %s', async (_name, limit) => {
    app = await build(limit);
    for (let i = 0; i < 5; i += 1) {
      const response = await postEvent();
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBeUndefined();
    }
  });

  it('is in the OpenAPI document of POST /events and its alias', async () => {
    app = await build({ max: 1, windowMs: 60_000 });
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, { post?: { responses: Record<string, { description: string }> } }>;
    }>();
    for (const path of ['/events', '/event'])
      expect(spec.paths[path]?.post?.responses['429']?.description, path).toContain('RATE_LIMITED');
  });

  it('starts a new window when the last one is over', async () => {
    app = await build({ max: 1, windowMs: 200 });
    expect((await postEvent()).statusCode).toBe(200);
    expect((await postEvent()).statusCode).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await postEvent()).statusCode).toBe(200);
  });
});
