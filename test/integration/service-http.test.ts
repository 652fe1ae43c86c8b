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

    expect((await post('/contracts', { contract_number: 'auth-1', components: ['energy_supply'] }, TOKEN)).status).toBe(201);
    const event = { type: 'supply_energy_start', contract_number: 'auth-1', date: '2024-12-01', created_at: '2024-11-20T10:00:00Z', event_id: 'auth-event-1' };
    expect((await post('/events', event)).status).toBe(401);
    const decided = await post('/events', event, TOKEN);
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ status: 'accepted', event_id: 'auth-event-1', duplicate: false });

    const [outcome] = await readOutcomes(running.config.KAFKA_BROKERS.join(','), running.config.OUTCOMES_TOPIC, 1);
    expect(outcome?.message).toMatchObject({ event_id: 'auth-event-1', code: 'ACCEPTED', source: { transport: 'http' } });
    // Reads stay open while only API_TOKEN is set.
    expect((await fetch(`${api}/contracts/auth-1`)).status).toBe(200);
  });

  it('answers probes and metrics on the management port only, without a token', async () => {
    const ready = await fetch(`${management}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', kafka: 'ok', consumer: 'ok' } });
    expect((await fetch(`${management}/metrics`)).status).toBe(200);
    for (const path of ['/health/live', '/health/ready', '/metrics']) expect((await fetch(`${api}${path}`)).status, path).toBe(404);
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
      expect(await notReady.json()).toEqual({ code: 'NOT_READY', message: 'The service is not ready.', details: { database: 'ok', kafka: 'failing', consumer: 'failing' } });

      // The outcome waits in the outbox until Kafka comes; the decision does not.
      const event = { type: 'supply_energy_start', contract_number: 'nobody', date: '2024-12-01', created_at: '2024-11-20T10:00:00Z', event_id: 'unreached-1' };
      const decide = () => fetch(`${api}/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(event) });
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
    const lines = log.trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
    expect(lines.filter((line) => line.msg === 'readiness: kafka is failing')).toHaveLength(1);
  });
});
