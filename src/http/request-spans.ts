import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { failSpan } from '../observability/spans.js';
import { remoteSpanContext } from '../observability/trace-context.js';

// With tracing on, one server span per API request, continuing the caller's
// W3C trace; probes, scrapes and the docs page make none. Rejected requests
// (401, 429, 503) are traced too: the hook runs before authentication.

const spans = new WeakMap<FastifyRequest, Span>();
const UNTRACED = /^\/(health|metrics|livez|readyz|docs)(\/|\?|$)/;

export function installRequestSpans(app: FastifyInstance, tracer: Tracer): void {
  app.addHook('onRequest', async (request) => {
    if (UNTRACED.test(request.url)) return;
    // The route's template (low cardinality), or the bare path when no route matched.
    const route = request.routeOptions.url ?? request.url.split('?')[0]!;
    const span = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': request.url.split('?')[0],
          'contract_events.request_id': request.id,
        },
      },
      callerContext(request),
    );
    if (span.isRecording()) spans.set(request, span);
  });
  app.addHook('onError', async (request, _reply, error) => {
    spans.get(request)?.recordException(error);
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = spans.get(request);
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    // A 4xx is the caller's mistake, not a failure of this server (OpenTelemetry's HTTP conventions).
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  app.addHook('onRequestAbort', async (request) => {
    const span = spans.get(request);
    if (!span) return;
    failSpan(span, new Error('The client closed the connection before the answer.'));
    span.end();
  });
}

/** The server span of a request, when tracing is on. */
export function requestSpan(request: FastifyRequest): Span | undefined {
  return spans.get(request);
}

/** The caller's span as the remote parent, from a valid `traceparent` (and its `tracestate`); else a new trace. */
function callerContext(request: FastifyRequest): Context {
  const { traceparent, tracestate } = request.headers;
  const caller =
    typeof traceparent === 'string'
      ? remoteSpanContext(traceparent, typeof tracestate === 'string' ? tracestate : undefined)
      : undefined;
  return caller ? trace.setSpanContext(ROOT_CONTEXT, caller) : ROOT_CONTEXT;
}
