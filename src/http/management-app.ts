import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { installErrorHandlers } from './errors.js';
import { registerOperationsRoutes, type ReadinessReport } from './routes/operations.js';
import { serverTimeouts, type HttpTimeouts } from './server-timeouts.js';

export interface ManagementDependencies {
  logger: Logger;
  metrics: Metrics;
  readiness: () => Promise<ReadinessReport>;
  /** Request and idle-socket timeouts; default: none. */
  timeouts?: HttpTimeouts;
}

/**
 * /health/live, /health/ready (also /livez, /readyz) and /metrics on a port of their own
 * (MANAGEMENT_PORT), for probes and scrapers only: no token, no docs, no API.
 */
export function buildManagementApp(deps: ManagementDependencies): FastifyInstance {
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ module: 'http-management' });
  // Probes and scrapes would drown the request log.
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true }),
    ...(deps.timeouts && serverTimeouts(deps.timeouts)),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);
  registerOperationsRoutes(app, deps.metrics, deps.readiness);
  return app;
}
