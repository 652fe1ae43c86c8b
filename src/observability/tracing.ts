import { setTimeout as delay } from 'node:timers/promises';
import { diag, DiagLogLevel, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../config.js';
import type { Logger } from './logger.js';

// Optional OpenTelemetry tracing, the only module that knows the SDK. Off by
// default: the service then makes no spans that go anywhere. The SDK's own
// OTEL_* settings (OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, ...) apply.

const TRACER_NAME = 'contract-events-service';
/** How long a stop waits for the last spans to go out. */
const SHUTDOWN_FLUSH_MS = 2_000;

export interface Tracing {
  tracer: Tracer;
  /** Sends the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

type TracingSettings = Pick<
  Config,
  'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_SERVICE_NAME' | 'OTEL_SDK_DISABLED'
>;

/** The OTLP traces URL the settings ask for, as the OpenTelemetry specification derives it; undefined when tracing is off. */
export function tracesEndpoint(settings: TracingSettings): string | undefined {
  if (settings.OTEL_SDK_DISABLED) return undefined;
  if (settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/traces`;
}

/** Tracing as the settings ask: spans batched to the OTLP endpoint, or a tracer that records nothing. */
export function startTracing(settings: TracingSettings, logger: Logger, version: string): Tracing {
  const endpoint = tracesEndpoint(settings);
  // Not the global provider: without one, the API's tracer makes spans that record nothing.
  if (endpoint === undefined) return { tracer: trace.getTracer(TRACER_NAME), shutdown: async () => undefined };
  // A collector that is down must show in the log, once per failed export, not vanish.
  const report = (detail: string, ...args: unknown[]) =>
    logger.warn({ detail, args }, 'tracing: the OpenTelemetry SDK reported a problem; spans may be lost');
  const silent = () => undefined;
  diag.setLogger(
    { error: report, warn: report, info: silent, debug: silent, verbose: silent },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.OTEL_SERVICE_NAME, 'service.version': version }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
  });
  logger.info({ endpoint }, 'tracing on: a span per consumed chunk and per API request');
  // A collector that does not answer must not hold up a stop past SHUTDOWN_TIMEOUT_MS.
  const shutdown = async () => {
    const ended = await Promise.race([
      provider.shutdown().then(
        () => ({ sent: true }),
        (error: unknown) => ({ error }),
      ),
      delay(SHUTDOWN_FLUSH_MS, { late: true }, { ref: false }),
    ]);
    if ('late' in ended)
      logger.warn({ endpoint }, `tracing: the last spans were not sent within ${SHUTDOWN_FLUSH_MS} ms of stopping`);
    else if ('error' in ended) logger.warn({ err: ended.error, endpoint }, 'tracing: could not send the last spans');
  };
  return { tracer: provider.getTracer(TRACER_NAME, version), shutdown };
}
