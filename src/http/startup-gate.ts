import type { FastifyInstance } from 'fastify';
import { sendUnavailable } from './errors.js';

/**
 * Until start-up has readied the database (migrations), every API route
 * answers 503 SERVICE_UNAVAILABLE with Retry-After rather than fail on a
 * missing table. Probes, metrics and the docs answer from the first moment.
 * Decisions need no more than the database: their outcomes wait in the
 * outbox until Kafka is reached.
 */
export function installStartupGate(app: FastifyInstance, databaseReady: () => boolean): void {
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    if (access === undefined || access === 'open' || databaseReady()) return;
    return sendUnavailable(reply, 'The service is starting; retry later.');
  });
}
