import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { BatchDecider } from '../processing/decide-batch.js';
import type { ContractRepository } from '../store/contracts.js';
import { installErrorHandlers } from './errors.js';
import { registerContractRoutes } from './routes/contracts.js';
import { registerEventRoutes } from './routes/events.js';
import { registerOperationsRoutes, type ReadinessReport } from './routes/operations.js';

export interface HttpDependencies {
  logger: Logger;
  metrics: Metrics;
  contracts: ContractRepository;
  decideBatch: BatchDecider;
  readiness: () => Promise<ReadinessReport>;
}

/** Request bodies larger than this are refused with 413. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** The sidecar: routes, validation and OpenAPI all come from the zod schemas. */
export async function buildHttpApp(deps: HttpDependencies): Promise<FastifyInstance> {
  // Typed as Fastify's logger so the instance keeps Fastify's default generics.
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ module: 'http' });
  const app = Fastify({
    loggerInstance,
    bodyLimit: BODY_LIMIT_BYTES,
    // Probes and scrapes would drown the request log.
    logController: new LogController({ disableRequestLogging: (request) => /^\/(health|metrics)/.test(request.url) }),
  });
  // JSON only: any other body is refused with 415 rather than half-understood.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Contract events service',
        version: '0.1.0',
        description: 'Timelines, contract administration, synchronous event decisions, health and metrics.',
      },
      tags: [
        { name: 'contracts', description: 'Contracts and their component timelines' },
        { name: 'events', description: 'Deciding events over HTTP' },
        { name: 'operations', description: 'Health and metrics' },
      ],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  registerContractRoutes(app, deps.contracts);
  registerEventRoutes(app, deps.decideBatch, deps.metrics);
  registerOperationsRoutes(app, deps.metrics, deps.readiness);
  return app;
}
