import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createContracts, startInProcessService, type InProcessService } from '../support/in-process-service.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import type { ReadOutcome } from '../support/outcome-reader.js';

// OpenTelemetry tracing switched on by its endpoint setting: real traffic
// through Kafka and Postgres, and the spans as a collector receives them
// over OTLP/HTTP.

const PRODUCER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const CALLER = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
// OTLP's span kinds.
const INTERNAL = 1;
const SERVER = 2;
const PRODUCER_KIND = 4;
const CONSUMER_KIND = 5;

let db: TestDatabase;
let receiver: OtlpReceiver;
let running: InProcessService | undefined;
let outcomes: ReadOutcome[];
let outcomesTopic: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await createContracts(db, [
    { contractNumber: 't-1', components: ['energy_supply'] },
    { contractNumber: 't-2', components: ['energy_supply'] },
  ]);
  receiver = await startOtlpReceiver();
  running = await startInProcessService(db, createLogger('silent'), {
    OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.endpoint}/`,
    OTEL_SERVICE_NAME: 'contract-events-it',
  });
  const line = JSON.stringify({
    type: 'supply_energy_start',
    contract_number: 't-1',
    date: '2024-12-01',
    created_at: '2024-11-20T10:00:00Z',
    event_id: 't-1-1',
  });
  outcomesTopic = running.config.OUTCOMES_TOPIC;
  outcomes = await running.sendAndAwait([line], { traceparent: `00-${PRODUCER.traceId}-${PRODUCER.spanId}-01` });
  const overHttp = {
    type: 'supply_energy_end',
    contract_number: 't-1',
    date: '2024-12-31',
    created_at: '2024-11-20T10:01:00Z',
    event_id: 't-1-http',
  };
  const answer = await running.service.http.inject({
    method: 'POST',
    url: '/events',
    payload: overHttp,
    headers: { traceparent: `00-${CALLER.traceId}-${CALLER.spanId}-01` },
  });
  expect(answer.statusCode).toBe(200);
  // Stopping sends the spans still buffered.
  await running.service.stop();
  running = undefined;
});
afterAll(async () => {
  await running?.service.stop();
  await receiver?.close();
  await db?.drop();
});

describe('with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  it('exports one span per chunk, linked to the producer span, with the database and Kafka transactions inside', () => {
    expect(
      receiver.requests.every((request) => request.path === '/v1/traces' && request.contentType === 'application/json'),
    ).toBe(true);
    const chunks = receiver.spans.filter((span) => span.kind === CONSUMER_KIND);
    expect(chunks).toHaveLength(1);
    const chunk = chunks[0]!;
    expect(chunk).toMatchObject({
      name: expect.stringMatching(/^process it-.*-events$/) as string,
      parentSpanId: undefined,
      links: [PRODUCER],
      resource: { 'service.name': 'contract-events-it', 'service.version': '0.1.0' },
      attributes: {
        'messaging.system': 'kafka',
        'messaging.batch.message_count': 1,
        'contract_events.outcomes.accepted': 1,
      },
    });
    const children = receiver.spans.filter((span) => span.parentSpanId === chunk.spanId);
    const shape = (span: ReceivedSpan) => ({ name: span.name, kind: span.kind, traceId: span.traceId });
    expect(children.map(shape)).toEqual([
      { name: 'decide', kind: INTERNAL, traceId: chunk.traceId },
      { name: `send ${outcomesTopic}`, kind: PRODUCER_KIND, traceId: chunk.traceId },
    ]);
  });

  it("exports a server span for POST /events under the caller's span, with the decision's transaction inside", () => {
    const servers = receiver.spans.filter((span) => span.kind === SERVER);
    expect(servers.map(({ name, traceId, parentSpanId }) => ({ name, traceId, parentSpanId }))).toEqual([
      { name: 'POST /events', traceId: CALLER.traceId, parentSpanId: CALLER.spanId },
    ]);
    expect(servers[0]!.attributes).toMatchObject({ 'http.route': '/events', 'http.response.status_code': 200 });
    const inside = receiver.spans.filter((span) => span.parentSpanId === servers[0]!.spanId);
    expect(inside.map(({ name, kind }) => ({ name, kind }))).toEqual([{ name: 'decide', kind: INTERNAL }]);
  });

  it("still carries the producer's trace onto the outcome", () => {
    expect(outcomes[0]!.headers.traceparent).toMatch(new RegExp(`^00-${PRODUCER.traceId}-[0-9a-f]{16}-01$`));
  });
});

describe('with a collector that never answers', () => {
  it('decides and publishes as usual, and stops without waiting for it past a bound, saying so', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const { port } = silent.address() as AddressInfo;
    let log = '';
    const logger = createLogger('info', { write: (chunk: string) => void (log += chunk) });
    const service = await startInProcessService(db, logger, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`,
    });
    try {
      const line = JSON.stringify({
        type: 'supply_energy_start',
        contract_number: 't-2',
        date: '2024-12-01',
        created_at: '2024-11-20T10:00:00Z',
        event_id: 't-2-1',
      });
      const [outcome] = await service.sendAndAwait([line]);
      expect(outcome!.message).toMatchObject({ event_id: 't-2-1', status: 'accepted' });
    } finally {
      await service.service.stop();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
    expect(log).toContain('tracing: the last spans were not sent within 2000 ms of stopping');
  });
});
