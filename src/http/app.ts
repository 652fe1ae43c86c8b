import { randomUUID } from 'node:crypto';
import { trace, type Tracer } from '@opentelemetry/api';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { BatchDecider } from '../processing/decide-batch.js';
import type { AuditLog } from '../store/audit-log.js';
import type { ContractRepository } from '../store/contracts.js';
import { installAuthentication, type ApiTokens } from './auth.js';
import { BODY_LIMIT_BYTES } from './error-responses.js';
import { installErrorHandlers } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { registerRateLimiting, sharedRateLimit, type RateLimit } from './rate-limit.js';
import { installRequestSpans } from './request-spans.js';
import { registerContractEventRoutes } from './routes/contract-events.js';
import { registerContractHistoryRoutes } from './routes/contract-history.js';
import { registerContractRoutes } from './routes/contracts.js';
import { registerEventRoutes } from './routes/events.js';
import { registerOperationsRoutes, type ReadinessReport } from './routes/operations.js';
import { serverTimeouts, type HttpTimeouts } from './server-timeouts.js';
import { installStartupGate } from './startup-gate.js';

export interface HttpDependencies {
  logger: Logger;
  metrics: Metrics;
  contracts: ContractRepository;
  auditLog: AuditLog;
  decideBatch: BatchDecider;
  /** Called after an event was decided over HTTP, so its outcome is published soon. */
  onDecided?: () => void;
  readiness: () => Promise<ReadinessReport>;
  /** Bearer tokens from the configuration; without them every route is open. */
  tokens?: ApiTokens;
  /** False while start-up is still migrating the database (API routes answer 503 meanwhile); default: ready. */
  databaseReady?: () => boolean;
  /** False when the management app serves /health/* and /metrics on a port of their own (MANAGEMENT_PORT). */
  serveOperations?: boolean;
  /** Request and idle-socket timeouts; default: none. */
  timeouts?: HttpTimeouts;
  /** How often one client address may call POST /events; default: without limit. */
  eventsRateLimit?: RateLimit;
  /** How many requests of one client address may be refused for their token before the rest are answered 429; default: without limit. */
  refusedRateLimit?: RateLimit;
  /** A span per API request goes to it; default: a tracer that records nothing. */
  tracer?: Tracer;
}

export { BODY_LIMIT_BYTES };

/** The sidecar: routes, validation and OpenAPI all come from the zod schemas. */
export async function buildHttpApp(deps: HttpDependencies): Promise<FastifyInstance> {
  // Typed as Fastify's logger so the instance keeps Fastify's default generics.
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ module: 'http' });
  const app = Fastify({
    loggerInstance,
    // Request ids name the input message of an HTTP decision: unique across restarts and instances.
    genReqId: () => randomUUID(),
    bodyLimit: BODY_LIMIT_BYTES,
    // Probes and scrapes would drown the request log.
    logController: new LogController({
      disableRequestLogging: (request) => /^\/(health|metrics|livez|readyz)/.test(request.url),
    }),
    ...(deps.timeouts && serverTimeouts(deps.timeouts)),
  });
  // JSON only: any other body is refused with 415 rather than half-understood.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);
  const tracer = deps.tracer ?? trace.getTracer('contract-events-service');
  // First, so requests that authentication or the start-up gate turn away are traced too.
  installRequestSpans(app, tracer);
  const tokens = deps.tokens ?? {};
  // Before authentication, which counts refused requests with it.
  await registerRateLimiting(app);
  // Before any route: both act on the access each route declares, in this order.
  installAuthentication(app, tokens, sharedRateLimit(app, deps.refusedRateLimit, 'requests without a valid token'));
  installStartupGate(app, deps.databaseReady ?? (() => true));
  await registerOpenApi(app, { bearerAuth: tokens.write !== undefined || tokens.read !== undefined });
  registerContractRoutes(app, deps.contracts);
  registerContractEventRoutes(app, deps.auditLog);
  registerContractHistoryRoutes(app, deps.auditLog);
  registerEventRoutes(app, {
    decideBatch: deps.decideBatch,
    metrics: deps.metrics,
    onDecided: deps.onDecided ?? (() => undefined),
    tracer,
    rateLimit: deps.eventsRateLimit,
  });
  if (deps.serveOperations ?? true) registerOperationsRoutes(app, deps.metrics, deps.readiness);
  return app;
}
