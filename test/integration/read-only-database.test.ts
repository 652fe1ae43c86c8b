import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createKafkaClient } from '../../src/kafka/kafkajs/client.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';
import { createContracts, startInProcessService, type InProcessService } from '../support/in-process-service.js';
import { readOutcomes } from '../support/outcome-reader.js';

// A database that turns read-only (a failover to a standby; a managed database
// whose disk filled sets default_transaction_read_only) answers SELECT 1 but
// refuses every write with SQLSTATE 25006. It is an outage like any other:
// HTTP answers 503, readiness fails, the consumer waits without answering
// anything and goes on by itself once the database takes writes again. Set
// with ALTER DATABASE, the setting reaches new sessions only: the pools
// replace their connections once DATABASE_CONNECTION_MAX_LIFETIME_SECONDS old,
// so the service sees both changes without anyone ending its sessions.

const CONTRACT = 'ro-1';
const MAX_LIFETIME_SECONDS = 2;
let db: TestDatabase;
let running: InProcessService;
const lines: { level: number; msg: string; err?: { message?: string } }[] = [];

const event = (type: string, eventId: string, minute: number) =>
  JSON.stringify({
    type,
    contract_number: CONTRACT,
    date: '2024-12-01',
    created_at: `2024-11-20T10:${String(minute).padStart(2, '0')}:00Z`,
    event_id: eventId,
  });

/**
 * Sets or resets read-only for new sessions of the test database, leaving the
 * sessions it has alone. Run from the server's own database: a read-only
 * session could not change it back.
 */
async function setReadOnly(on: boolean): Promise<void> {
  const name = new URL(db.url).pathname.slice(1);
  await withClient(inject('databaseUrl'), async (client) => {
    await client.query(
      on
        ? `ALTER DATABASE "${name}" SET default_transaction_read_only = on`
        : `ALTER DATABASE "${name}" RESET default_transaction_read_only`,
    );
  });
}

const ready = async () => {
  const response = await running.service.http.inject({ method: 'GET', url: '/health/ready' });
  // Ready: the checks; not ready: an ErrorResponse with the checks as details.
  const body = response.json() as { checks?: Record<string, string>; details?: Record<string, string> };
  return { status: response.statusCode, checks: body.checks ?? body.details ?? {} };
};

/** Polls readiness until it reports `status`, past the report cache. */
async function readinessBecomes(status: number): Promise<{ status: number; checks: Record<string, string> }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const report = await ready();
    if (report.status === status || Date.now() > deadline) return report;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function produce(values: string[]): Promise<void> {
  const kafka = createKafkaClient({
    clientId: 'it-read-only-producer',
    brokers: running.config.KAFKA_BROKERS,
    logger: createLogger('silent'),
  });
  const publisher = await kafka.connectPublisher();
  await publisher.send(
    running.config.EVENTS_TOPIC,
    values.map((value) => ({ key: CONTRACT, value, headers: {} })),
  );
  await publisher.disconnect();
}

beforeAll(async () => {
  db = await createTestDatabase();
  await createContracts(db, [
    { contractNumber: CONTRACT, components: ['energy_supply', 'battery_optimization', 'heatpump_optimization'] },
  ]);
  const logger = createLogger('info', {
    write: (chunk: string) => void lines.push(JSON.parse(chunk) as (typeof lines)[number]),
  });
  running = await startInProcessService(db, logger, {
    RETRY_INITIAL_MS: '50',
    RETRY_MAX_MS: '500',
    DATABASE_CONNECTION_MAX_LIFETIME_SECONDS: String(MAX_LIFETIME_SECONDS),
  });
});
afterAll(async () => {
  await running?.service.stop();
  if (db) await setReadOnly(false);
  await db?.drop();
});

describe('a database that turned read-only', () => {
  it('is an outage: 503, not ready, nothing answered meanwhile, and the service goes on by itself once it takes writes again, without its sessions being ended', async () => {
    const [first] = await running.sendAndAwait([event('supply_energy_start', 'ro-before', 0)]);
    expect(first!.message.code).toBe('ACCEPTED');

    await setReadOnly(true);
    // Every connection opened before is replaced by then.
    await new Promise((resolve) => setTimeout(resolve, MAX_LIFETIME_SECONDS * 1000 + 500));
    const onHttp = {
      type: 'battery_optimization_start',
      contract_number: CONTRACT,
      date: '2024-12-01',
      created_at: '2024-11-20T11:00:00Z',
      event_id: 'ro-http',
    };
    for (let i = 0; i < 2; i += 1) {
      const response = await running.service.http.inject({ method: 'POST', url: '/events', payload: onHttp });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({
        code: 'SERVICE_UNAVAILABLE',
        message: 'The database is unavailable or busy; retry later.',
      });
      expect(response.headers['retry-after']).toBe('5');
    }
    // A warning per request that names the cause, no error line.
    expect(lines.filter((l) => l.msg === 'database unavailable').map((l) => l.err?.message)).toEqual([
      expect.stringContaining('read-only'),
      expect.stringContaining('read-only'),
    ]);
    expect(lines.filter((l) => l.msg === 'request failed')).toEqual([]);

    // SELECT 1 would still succeed: readiness must ask whether the database takes writes, and keep saying no.
    expect(await readinessBecomes(503)).toMatchObject({ status: 503, checks: { database: 'failing' } });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await ready()).checks.database).toBe('failing');

    await produce([
      event('supply_energy_end', 'ro-1', 1),
      event('heatpump_optimization_start', 'ro-2', 2),
      event('heatpump_optimization_end', 'ro-3', 3),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(
      (await readOutcomes(running.config.KAFKA_BROKERS.join(','), running.config.OUTCOMES_TOPIC, 1, 10_000)).map(
        (o) => o.message.event_id,
      ),
    ).toEqual(['ro-before']);
    expect(
      lines.some((l) => l.msg === 'deciding a batch failed; retrying' && l.err?.message?.includes('read-only')),
    ).toBe(true);

    // Requests keep both pools' connections busy, as traffic would: none of them
    // sits idle long enough to be closed (idleTimeoutMillis), so only their lifetime replaces them.
    let busy = true;
    const traffic = (async () => {
      while (busy) {
        await Promise.all([ready(), running.service.http.inject({ method: 'GET', url: `/contracts/${CONTRACT}` })]);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await setReadOnly(false);
    try {
      const outcomes = await readOutcomes(running.config.KAFKA_BROKERS.join(','), running.config.OUTCOMES_TOPIC, 4, {
        timeoutMs: 30_000,
        quietMs: 1_000,
      });
      expect(outcomes.map((o) => [o.message.event_id, o.message.code])).toEqual([
        ['ro-before', 'ACCEPTED'],
        ['ro-1', 'ACCEPTED'],
        ['ro-2', 'ACCEPTED'],
        ['ro-3', 'ACCEPTED'],
      ]);
      expect(await readinessBecomes(200)).toMatchObject({ status: 200, checks: { database: 'ok', consumer: 'ok' } });
      // HTTP takes writes again once its pool's connections opened before the change are replaced.
      const deadline = Date.now() + 10 * MAX_LIFETIME_SECONDS * 1000;
      const post = () => running.service.http.inject({ method: 'POST', url: '/events', payload: onHttp });
      let again = await post();
      while (again.statusCode === 503 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        again = await post();
      }
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ event_id: 'ro-http', code: 'ACCEPTED' });
    } finally {
      busy = false;
      await traffic;
    }
  }, 90_000);
});
