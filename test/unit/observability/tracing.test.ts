import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/observability/logger.js';
import { startTracing, tracesEndpoint } from '../../../src/observability/tracing.js';

// Which OTLP URL the settings ask for, as the OpenTelemetry specification
// words it: the signal's own endpoint as is, the general one with /v1/traces.

const endpointOf = (env: Record<string, string>) => tracesEndpoint(loadConfig(env));

describe('the tracing settings', () => {
  it('leave tracing off by default, and a tracer that records nothing', async () => {
    expect(endpointOf({})).toBeUndefined();
    const tracing = startTracing(loadConfig({}), createLogger('silent'), '0.0.0');
    const span = tracing.tracer.startSpan('nothing');
    expect(span.isRecording()).toBe(false);
    span.end();
    await tracing.shutdown();
  });

  it('take the general endpoint with /v1/traces appended, and the traces endpoint as it is', () => {
    expect(endpointOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(endpointOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318/otlp/' })).toBe(
      'https://collector:4318/otlp/v1/traces',
    );
    expect(
      endpointOf({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/in',
      }),
    ).toBe('http://traces:9999/in');
  });

  it('are switched off by OTEL_SDK_DISABLED whatever the endpoints say', () => {
    expect(
      endpointOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBeUndefined();
  });

  it('refuse an endpoint that is not an http(s) URL, naming the setting', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' })).toThrow(
      /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: expected an http:\/\/ or https:\/\/ URL/,
    );
  });
});
