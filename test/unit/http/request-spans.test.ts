import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchDecider, DecideOptions } from '../../../src/processing/decide-batch.js';
import { buildOutcome } from '../../../src/processing/outcome.js';
import { buildStubHttpApp } from '../../support/stub-http-app.js';

// With tracing on, a server span per API request, continuing the caller's
// W3C trace, with the decision's database transaction inside for POST /events.

// The W3C Trace Context recommendation's example (section 3.2).
const CALLER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const event = {
  type: 'supply_energy_start',
  contract_number: '1234',
  date: '2024-12-01',
  created_at: '2024-11-20T10:00:00Z',
};

let app: FastifyInstance | undefined;
afterEach(() => app?.close());

async function tracedApp(overrides: Parameters<typeof buildStubHttpApp>[0] = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const asked: DecideOptions[] = [];
  const accept: BatchDecider = async (messages, options = {}) => {
    asked.push(options);
    return messages.map((message) =>
      buildOutcome(
        message,
        { status: 'accepted', code: 'ACCEPTED', message: 'Accepted.' },
        false,
        '2024-11-20T10:00:00.000000Z',
      ),
    );
  };
  app = await buildStubHttpApp({ decideBatch: accept, tracer: provider.getTracer('test'), ...overrides });
  return { spans: () => exporter.getFinishedSpans(), asked };
}

describe('request spans', () => {
  it("make POST /events a server span under the caller's, with the decision's transaction inside", async () => {
    const { spans, asked } = await tracedApp();
    const traceparent = `00-${CALLER.traceId}-${CALLER.spanId}-01`;
    const response = await app!.inject({
      method: 'POST',
      url: '/events',
      payload: event,
      headers: { traceparent, tracestate: 'congo=t61rcWkgMzE' },
    });
    expect(response.statusCode).toBe(200);

    const [decide, server] = spans();
    expect(spans()).toHaveLength(2);
    expect(server).toMatchObject({
      name: 'POST /events',
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/events',
        'url.path': '/events',
        'http.response.status_code': 200,
      },
    });
    expect(server!.spanContext().traceId).toBe(CALLER.traceId);
    expect(server!.parentSpanContext).toMatchObject({ spanId: CALLER.spanId, isRemote: true });
    expect(server!.spanContext().traceState?.get('congo')).toBe('t61rcWkgMzE');
    expect(decide).toMatchObject({ name: 'decide', kind: SpanKind.INTERNAL });
    expect(decide!.parentSpanContext?.spanId).toBe(server!.spanContext().spanId);
    // The outcome continues the caller's own headers.
    expect(asked).toEqual([{ outbox: true, trace: { traceparent, tracestate: 'congo=t61rcWkgMzE' } }]);
  });

  it("continue the caller's trace without a tracestate that breaks the W3C grammar", async () => {
    const { spans, asked } = await tracedApp();
    const traceparent = `00-${CALLER.traceId}-${CALLER.spanId}-01`;
    await app!.inject({
      method: 'POST',
      url: '/events',
      payload: event,
      headers: { traceparent, tracestate: 'Congo=t61rcWkgMzE, x-forged: 1' },
    });
    const server = spans().find((span) => span.kind === SpanKind.SERVER)!;
    expect(server.parentSpanContext).toMatchObject({ traceId: CALLER.traceId, spanId: CALLER.spanId });
    expect(server.spanContext().traceState).toBeUndefined();
    expect(asked).toEqual([{ outbox: true, trace: { traceparent } }]);
  });

  it("continue the request span's trace on the outcome when the caller sent none", async () => {
    const { spans, asked } = await tracedApp();
    await app!.inject({ method: 'POST', url: '/events', payload: event });
    const server = spans().find((span) => span.kind === SpanKind.SERVER)!;
    expect(server.parentSpanContext).toBeUndefined();
    const { traceId, spanId } = server.spanContext();
    expect(asked).toEqual([{ outbox: true, trace: { traceparent: `00-${traceId}-${spanId}-01` } }]);
  });

  it('name a span by its route template, count a 4xx as the caller’s error and a 5xx as a failure, and leave probes and the docs out', async () => {
    const { spans } = await tracedApp({
      contracts: {
        create: async () => undefined,
        find: async () => undefined,
        findWithStates: async () => Promise.reject(new Error('boom')),
        delete: async () => false,
      },
    });
    await app!.inject({ method: 'GET', url: '/contracts/9999/timeline' });
    await app!.inject({ method: 'POST', url: '/events', payload: { ...event, type: 'nonsense' } });
    for (const url of ['/health/live', '/health/ready', '/livez', '/readyz', '/metrics', '/docs/json'])
      await app!.inject({ method: 'GET', url });
    expect(spans().map((span) => [span.name, span.attributes['http.response.status_code'], span.status.code])).toEqual([
      ['GET /contracts/:contract_number/timeline', 500, SpanStatusCode.ERROR],
      ['POST /events', 422, SpanStatusCode.UNSET],
    ]);
    expect(spans()[0]!.events.map((e) => e.attributes?.['exception.message'])).toEqual(['boom']);
  });

  it('make none when tracing is off', async () => {
    const decided: string[] = [];
    app = await buildStubHttpApp({
      decideBatch: async (messages, options) => (decided.push(JSON.stringify(options)), []),
    });
    await app.inject({ method: 'POST', url: '/events', payload: event });
    // No span, no trace made up for the outcome: the relay gives it a trace of its own.
    expect(decided).toEqual([JSON.stringify({ outbox: true })]);
  });
});
