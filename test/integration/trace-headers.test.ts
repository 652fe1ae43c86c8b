import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startInProcessService, type InProcessService } from '../support/in-process-service.js';
import type { ReadOutcome } from '../support/outcome-reader.js';

// A producer's tracestate header reaches the outcome's only when it is a
// valid W3C tracestate: control characters in it would end lines and forge
// entries in whatever prints the outcome's headers.

const PRODUCER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7' };
const traceparent = `00-${PRODUCER.traceId}-${PRODUCER.parentId}-01`;

let db: TestDatabase;
let running: InProcessService;
beforeAll(async () => {
  db = await createTestDatabase();
  running = await startInProcessService(db, createLogger('silent'));
});
afterAll(async () => {
  await running?.service.stop();
  await db?.drop();
});

describe('the tracestate of a consumed message', () => {
  it('is carried onto its outcome when valid, and dropped (the trace still continued) when it holds CR, LF, NUL or ESC', async () => {
    const tracestates = {
      valid: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
      crlf: 'congo=t61rcWkgMzE\r\nx-forged: 1',
      lf: 'congo=t61rcWkgMzE\nrojo=1',
      nul: 'congo=t61rc\u0000WkgMzE',
      esc: 'congo=\u001b[31mred\u001b[0m',
    };
    let outcomes: ReadOutcome[] = [];
    for (const [name, tracestate] of Object.entries(tracestates)) {
      const event = {
        type: 'supply_energy_start',
        contract_number: 'nobody',
        date: '2024-12-01',
        created_at: '2024-11-20T10:00:00Z',
        event_id: `trace-${name}`,
      };
      outcomes = await running.sendAndAwait([JSON.stringify(event)], { traceparent, tracestate });
    }
    const headersOf = (name: string) =>
      outcomes.find((outcome) => outcome.message.event_id === `trace-${name}`)?.headers ??
      expect.fail(`no outcome for ${name}`);
    expect(headersOf('valid').tracestate).toBe(tracestates.valid);
    for (const name of ['crlf', 'lf', 'nul', 'esc']) {
      const headers = headersOf(name);
      expect(headers.traceparent, name).toMatch(
        new RegExp(`^00-${PRODUCER.traceId}-(?!${PRODUCER.parentId})[0-9a-f]{16}-01$`),
      );
      expect(headers, name).not.toHaveProperty('tracestate');
    }
  });
});
