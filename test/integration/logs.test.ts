import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { applyMigrations } from '../../src/store/migrations.js';
import type { ReadOutcome } from '../support/outcome-reader.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';
import { createContracts, mixedTraffic, startInProcessService } from '../support/in-process-service.js';

// The service in this process, logging into a buffer: one line per decided
// event with its fields, no secrets, and LOG_LEVEL honoured.

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const INFO = 30;
const password = `pw-${randomBytes(8).toString('hex')}`;
const role = `log_test_${randomBytes(4).toString('hex')}`;
let db: TestDatabase;
let databaseUrl: string;

/** Runs the service through the mixed traffic at a log level, and returns its log lines and the outcomes. */
async function runWithLogs(
  level: string,
  contractNumber: string,
  headers?: Record<string, string>,
): Promise<{ lines: LogLine[]; text: string; outcomes: ReadOutcome[] }> {
  let text = '';
  const logger = createLogger(level, { write: (chunk: string) => void (text += chunk) });
  const running = await startInProcessService({ ...db, url: databaseUrl }, logger, {
    LOG_LEVEL: level,
    DATABASE_URL: databaseUrl,
  });
  try {
    const outcomes = await running.sendAndAwait(mixedTraffic(contractNumber), headers);
    // The per-event line is written right after the commit, which follows publication.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return {
      lines: text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LogLine),
      text,
      outcomes,
    };
  } finally {
    await running.service.stop();
  }
}

beforeAll(async () => {
  // A role with a password of its own, so any trace of it in the logs is unmistakable.
  db = await createTestDatabase({ migrate: false });
  const url = new URL(db.url);
  await withClient(db.url, async (client) => {
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await client.query(`ALTER DATABASE "${url.pathname.slice(1)}" OWNER TO ${role}`);
  });
  url.username = role;
  url.password = password;
  databaseUrl = url.toString();
  // Migrated as the role, so it owns the tables the service writes.
  await applyMigrations(databaseUrl);
  await createContracts(
    { ...db, url: databaseUrl },
    ['l-1', 'l-2'].map((contractNumber) => ({ contractNumber, components: ['energy_supply'] })),
  );
});
afterAll(async () => {
  await db?.drop();
  await withClient(inject('databaseUrl'), (client) => client.query(`DROP ROLE IF EXISTS ${role}`));
});

describe('logs', () => {
  it('logs every decided event once with its fields, Kafka position and trace, and never the database password', async () => {
    // A producer's W3C trace context (the example of the recommendation): each outcome and log line continues it.
    const trace = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'congo=t61rcWkgMzE',
    };
    const { lines, text, outcomes } = await runWithLogs('info', 'l-1', trace);
    for (const outcome of outcomes) {
      expect(outcome.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
      expect(outcome.headers.traceparent).not.toBe(trace.traceparent);
      expect(outcome.headers.tracestate).toBe(trace.tracestate);
    }
    const decided = lines.filter((line) => line.msg === 'event decided');
    const position = (source: Record<string, unknown>) => `${source.topic}/${source.partition}/${source.offset}`;
    expect(decided.map(position).sort()).toEqual(outcomes.map((outcome) => position(outcome.message.source!)).sort());
    for (const line of decided) {
      expect(line.level).toBe(INFO);
      for (const field of ['event_id', 'status', 'code', 'topic', 'partition', 'offset'])
        expect(line[field], `${field} in ${JSON.stringify(line)}`).toBeDefined();
      expect(line.trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    }
    const accepted = decided.find(
      (line) => line.code === 'ACCEPTED' && line.duplicate === false && line.action === 'start',
    );
    expect(accepted).toMatchObject({
      event_id: 'l-1-1',
      contract_number: 'l-1',
      component: 'energy_supply',
      action: 'start',
      created_at: '2024-11-20T10:00:00.000001Z',
      status: 'accepted',
      topic: expect.stringMatching(/-events$/),
      partition: expect.any(Number),
      offset: expect.any(String),
    });
    expect(decided.filter((line) => line.event_id === 'l-1-1').map((line) => line.duplicate)).toEqual([false, true]);
    expect(text).not.toContain(password);
    expect(text).not.toContain(databaseUrl);
  });

  it("logs an event decided over HTTP once too, without a Kafka position, with the caller's trace id", async () => {
    let text = '';
    const logger = createLogger('info', { write: (chunk: string) => void (text += chunk) });
    const running = await startInProcessService({ ...db, url: databaseUrl }, logger, { DATABASE_URL: databaseUrl });
    try {
      const event = {
        type: 'supply_energy_end',
        contract_number: 'l-1',
        date: '2025-01-01',
        created_at: '2024-12-01T00:00:00Z',
        event_id: 'l-1-http',
      };
      const headers = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
      const response = await running.service.http.inject({ method: 'POST', url: '/events', payload: event, headers });
      expect(response.statusCode).toBe(200);
    } finally {
      await running.service.stop();
    }
    const decided = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.msg === 'event decided');
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({
      event_id: 'l-1-http',
      contract_number: 'l-1',
      component: 'energy_supply',
      action: 'end',
      status: 'accepted',
    });
    expect(decided[0]!.offset).toBeUndefined();
    expect(decided[0]!.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('writes no info lines at LOG_LEVEL=warn', async () => {
    const { lines, outcomes } = await runWithLogs('warn', 'l-2');
    expect(outcomes).toHaveLength(6); // one per message of mixedTraffic
    expect(lines.filter((line) => line.level < 40)).toEqual([]);
  });
});
