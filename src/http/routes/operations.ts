import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Metrics } from '../../observability/metrics.js';
import { errorResponseSchema } from '../../schemas/error-response.js';

export interface ReadinessReport {
  ready: boolean;
  checks: { database: string; consumer: string };
}

const readySchema = z.object({
  status: z.literal('ready'),
  checks: z.object({ database: z.string(), consumer: z.string() }),
});

/** Liveness, readiness and Prometheus metrics. */
export function registerOperationsRoutes(app: FastifyInstance, metrics: Metrics, readiness: () => Promise<ReadinessReport>): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get('/health/live', {
    schema: { tags: ['operations'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('live') }) } },
    handler: async () => ({ status: 'live' as const }),
  });
  routes.get('/health/ready', {
    schema: {
      tags: ['operations'],
      summary: 'The database answers and the consumer runs',
      response: { 200: readySchema, 503: errorResponseSchema },
    },
    handler: async (_request, reply) => {
      const report = await readiness();
      if (report.ready) return { status: 'ready' as const, checks: report.checks };
      return reply.code(503).send({ code: 'NOT_READY', message: 'The service is not ready.', details: report.checks });
    },
  });
  routes.get('/metrics', {
    schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format)' },
    handler: async (_request, reply) => {
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    },
  });
}
