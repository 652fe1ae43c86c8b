import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePorts } from '../../scripts/infra/wait.js';
import { loadConfig } from '../../src/config.js';
import { StopRequested } from '../../src/kafka/backoff.js';
import { createLogger } from '../../src/observability/logger.js';
import { startService } from '../../src/service.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startInProcessService, type InProcessService } from '../support/in-process-service.js';
import { readOutcomes } from '../support/outcome-reader.js';

// The whole service in this process, over real sockets: the API token guards
// every change end to end, probes move to the management port, and HTTP
// answers before Kafka is there at all.

const TOKEN = 'it-api-token-0123456789abcdef';
const urlOf = (address: AddressInfo | string | null) => `http://127.0.0.1:${(address as AddressInfo).port}`;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await db?.drop();
});

describe('with API_TOKEN and MANAGEMENT_PORT', () => {
  let running: InProcessService;
  let api: string;
  let management: string;
  beforeAll(async () => {
    running = await startInProcessService(db, createLogger('silent'), { API_TOKEN: TOKEN, MANAGEMENT_PORT: '0' });
    api = urlOf(running.service.http.server.address());
    management = urlOf(running.service.management!.server.address());
  });
  afterAll(async () => {
    await running?.service.stop();
  });

  const post = (path: string, body: object, token?: string) =>
    fetch(`${api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });

  it('refuses changes without the token and carries them out with it, through to the outcome topic', async () => {
    const refused = await post('/contracts', { contract_number: 'auth-1', components: ['energy_supply'] });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="contract-events-service"');
    expect(await refused.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await fetch(`${api}/contracts/auth-1`)).status).toBe(404);

    expect((await post('/contracts', { contract_number: 'auth-1', components: ['energy_supply'] }, TOKEN)).status).toBe(
      201,
    );
    const event = {
      type: 'supply_energy_start',
      contract_number: 'auth-1',
      date: '2024-12-01',
      created_at: '2024-11-20T10:00:00Z',
      event_id: 'auth-event-1',
    };
    expect((await post('/events', event)).status).toBe(401);
    const decided = await post('/events', event, TOKEN);
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ status: 'accepted', event_id: 'auth-event-1', duplicate: false });

    const [outcome] = await readOutcomes(running.config.KAFKA_BROKERS.join(','), running.config.OUTCOMES_TOPIC, 1);
    expect(outcome?.message).toMatchObject({
      event_id: 'auth-event-1',
      code: 'ACCEPTED',
      source: { transport: 'http' },
    });
    // Reads stay open while only API_TOKEN is set.
    expect((await fetch(`${api}/contracts/auth-1`)).status).toBe(200);
  });

  it('answers probes and metrics on the management port only, without a token', async () => {
    const ready = await fetch(`${management}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', kafka: 'ok', consumer: 'ok' } });
    expect((await fetch(`${management}/metrics`)).status).toBe(200);
    for (const path of ['/health/live', '/health/ready', '/metrics'])
      expect((await fetch(`${api}${path}`)).status, path).toBe(404);
  });
});

describe('on an address beyond loopback (HTTP_HOST=0.0.0.0, as in the container)', () => {
  const reads = (n: string) => [
    `/contracts/${n}`,
    `/contracts/${n}/timeline`,
    `/contracts/${n}/events`,
    `/contracts/${n}/history`,
    `/contract/${n}`,
    `/contract/${n}/contract_timeline`,
  ];
  const OPEN = ['/health/live', '/health/ready', '/livez', '/readyz', '/metrics', '/docs', '/docs/json'];
  const logged = (text: string) =>
    text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string });
  const start = async (env: Record<string, string>) => {
    let text = '';
    const running = await startInProcessService(
      db,
      createLogger('info', { write: (chunk: string) => void (text += chunk) }),
      { HTTP_HOST: '0.0.0.0', API_TOKEN: TOKEN, ...env },
    );
    return { running, api: urlOf(running.service.http.server.address()), log: () => logged(text) };
  };
  const read = (api: string, path: string, token?: string) =>
    fetch(`${api}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const create = (api: string, contractNumber: string) =>
    fetch(`${api}/contracts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ contract_number: contractNumber, components: ['energy_supply'] }),
    });

  it('asks for the token on every read, keeps probes, metrics and the docs open, and warns of nothing', async () => {
    const { running, api, log } = await start({ REFUSED_RATE_LIMIT_MAX: '10' });
    try {
      expect((await create(api, 'far-1')).status).toBe(201);
      for (const path of reads('far-1')) {
        const refused = await read(api, path);
        expect(refused.status, path).toBe(401);
        expect(refused.headers.get('www-authenticate'), path).toBe('Bearer realm="contract-events-service"');
        expect((await read(api, path, TOKEN)).status, path).toBe(200);
      }
      for (const path of OPEN) expect((await read(api, path)).status, path).toBe(200);
      // Six refusals so far; a flood of wrong tokens gets 429 from the eleventh on, while the right token still works.
      const flood = [];
      for (let i = 0; i < 6; i += 1)
        flood.push((await read(api, '/contracts/far-1', `wrong-token-${i}-0123456789abcdef`)).status);
      expect(flood).toEqual([401, 401, 401, 401, 429, 429]);
      expect((await read(api, '/contracts/far-1', TOKEN)).status).toBe(200);
    } finally {
      await running.service.stop();
    }
    expect(log().filter((line) => line.msg.startsWith('ALLOW_'))).toEqual([]);
    // One line per reason, not one per refused request.
    expect(log().filter((line) => line.msg === 'refused a request without a valid API token')).toHaveLength(3);
  });

  it('with ALLOW_ANONYMOUS_READS=true: reads open, changes still need the token, and a warning at start-up for each ALLOW_ setting', async () => {
    const { running, api, log } = await start({ ALLOW_ANONYMOUS_READS: 'true', ALLOW_UNAUTHENTICATED_HTTP: 'true' });
    try {
      expect((await create(api, 'far-2')).status).toBe(201);
      for (const path of reads('far-2')) expect((await read(api, path)).status, path).toBe(200);
      expect((await fetch(`${api}/contracts/far-2`, { method: 'DELETE' })).status).toBe(401);
    } finally {
      await running.service.stop();
    }
    const warnings = log().filter((line) => line.level === 40 && line.msg.startsWith('ALLOW_'));
    expect(warnings.map((line) => line.msg.split(':')[0])).toEqual([
      'ALLOW_UNAUTHENTICATED_HTTP=true',
      'ALLOW_ANONYMOUS_READS=true',
    ]);
  });
});

describe('when Kafka cannot be reached', () => {
  it('answers HTTP anyway: alive, not ready, decisions after the migrations; and stops at once', async () => {
    const [closedPort] = await getFreePorts(1);
    let log = '';
    const logger = createLogger('info', { write: (chunk: string) => void (log += chunk) });
    const config = loadConfig({
      KAFKA_BROKERS: `127.0.0.1:${closedPort}`,
      DATABASE_URL: db.url,
      EVENTS_TOPIC: 'unreached-events',
      OUTCOMES_TOPIC: 'unreached-outcomes',
      HTTP_PORT: '0',
      API_TOKEN: TOKEN,
    });
    const service = await startService(config, logger);
    const started = service.started.then(
      () => 'started',
      (error: unknown) => error,
    );
    try {
      const api = urlOf(service.http.server.address());
      expect((await fetch(`${api}/health/live`)).status).toBe(200);
      const notReady = await fetch(`${api}/health/ready`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        code: 'NOT_READY',
        message: 'The service is not ready.',
        details: { database: 'ok', kafka: 'failing', consumer: 'failing' },
      });

      // The outcome waits in the outbox until Kafka comes; the decision does not.
      const event = {
        type: 'supply_energy_start',
        contract_number: 'nobody',
        date: '2024-12-01',
        created_at: '2024-11-20T10:00:00Z',
        event_id: 'unreached-1',
      };
      const decide = () =>
        fetch(`${api}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify(event),
        });
      let decided = await decide();
      for (let tries = 0; decided.status === 503 && tries < 100; tries += 1) {
        expect(decided.headers.get('retry-after')).toBe('5');
        await new Promise((resolve) => setTimeout(resolve, 100));
        decided = await decide();
      }
      expect(decided.status).toBe(200);
      expect(await decided.json()).toMatchObject({ code: 'CONTRACT_NOT_FOUND' });
    } finally {
      const stopAt = Date.now();
      await service.stop();
      // Not the minute kafkajs would go on trying to reach the broker.
      expect(Date.now() - stopAt).toBeLessThan(5_000);
    }
    expect(await started).toBeInstanceOf(StopRequested);
    const lines = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string });
    expect(lines.filter((line) => line.msg === 'readiness: kafka is failing')).toHaveLength(1);
  });
});
