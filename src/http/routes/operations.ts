import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Metrics } from '../../observability/metrics.js';
import type { ReadinessReport } from '../../observability/readiness.js';
import { errorResponses } from '../error-responses.js';
import { sendError } from '../errors.js';
import { HttpErrorCode } from '../../schemas/http-error-catalogue.js';

export type { ReadinessReport };

// Only ok or failing: the reasons are logged when a check changes, never answered.
const checkState = z.enum(['ok', 'failing']);

const readySchema = z
  .object({
    status: z.literal('ready'),
    checks: z.object({ database: checkState, kafka: checkState, consumer: checkState }),
  })
  .meta({
    description: 'Ready',
    example: { status: 'ready', checks: { database: 'ok', kafka: 'ok', consumer: 'ok' } },
  });

const liveSchema = z.object({ status: z.literal('live') }).meta({ description: 'Alive', example: { status: 'live' } });

// Not JSON: documented here, sent as text by the handler.
const metricsResponse = {
  description: 'Prometheus text exposition format (version 0.0.4).',
  content: {
    'text/plain': {
      schema: z.string().meta({
        example:
          'contract_events_processed_total{status="accepted",code="ACCEPTED",type="supply_energy_start",duplicate="false"} 12',
      }),
    },
  },
};

/** Liveness, readiness and Prometheus metrics, open to probes and scrapers whatever tokens are set. */
export function registerOperationsRoutes(
  app: FastifyInstance,
  metrics: Metrics,
  readiness: () => Promise<ReadinessReport>,
): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  // Each probe also answers under the name Kubernetes' own components use (/livez, /readyz).
  for (const [url, alias] of [
    ['/health/live', ''],
    ['/livez', ' (alias of /health/live)'],
  ] as const) {
    routes.get(url, {
      config: { access: 'open' },
      schema: {
        tags: ['operations'],
        summary: `The process is up${alias}`,
        response: { 200: liveSchema, ...errorResponses() },
      },
      handler: async () => ({ status: 'live' as const }),
    });
  }
  for (const [url, alias] of [
    ['/health/ready', ''],
    ['/readyz', ' (alias of /health/ready)'],
  ] as const) {
    routes.get(url, {
      config: { access: 'open' },
      schema: {
        tags: ['operations'],
        summary: `The database takes writes, Kafka answers and the consumer is running${alias}`,
        description:
          'Ready when the database is reachable and writable (a read-only database, as after a failover or when a managed database has filled its disk, answers queries but is not ready), ' +
          'the Kafka brokers answer, and the consumer is in its group with its last attempt at its work successful. Each check is `ok` or `failing`; ' +
          'the reasons are logged when a check changes. Checks run at most once a second.',
        response: { 200: readySchema, ...errorResponses(HttpErrorCode.NOT_READY) },
      },
      handler: async (_request, reply) => {
        const report = await readiness();
        if (report.ready) return { status: 'ready' as const, checks: report.checks };
        return sendError(reply, HttpErrorCode.NOT_READY, undefined, report.checks);
      },
    });
  }
  routes.get('/metrics', {
    config: { access: 'open' },
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics (text exposition format)',
      response: { 200: metricsResponse, ...errorResponses() },
    },
    handler: async (_request, reply) => {
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    },
  });
}
