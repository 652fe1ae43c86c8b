import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { HttpError } from './errors.js';

/** Requests one client address may make in a window. */
export interface RateLimit {
  /** 0: no limit. */
  max: number;
  windowMs: number;
}

/**
 * Makes `app.rateLimit` available; no route is limited unless it asks.
 * Must come before the routes. A refused request is answered 429 with
 * Retry-After and the RateLimit-Limit / -Remaining / -Reset headers.
 */
export async function registerRateLimiting(app: FastifyInstance): Promise<void> {
  await app.register(fastifyRateLimit, {
    global: false,
    // RateLimit-* headers as the IETF draft names them, rather than X-RateLimit-*.
    enableDraftSpec: true,
    errorResponseBuilder: (request, context) => {
      // What Retry-After says, rather than the rounded `context.after` ("1 minute").
      const seconds = Math.ceil(context.ttl / 1000);
      const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
      return new HttpError(429, 'RATE_LIMITED', `Too many requests to ${route} from this address; retry in ${seconds} second${seconds === 1 ? '' : 's'}.`);
    },
  });
}

/**
 * An onRequest hook that counts requests per client address (request.ip) for
 * every route it is given to, together (so an alias adds no allowance of its
 * own), and refuses those over the limit before their body is read; none
 * when `max` is 0.
 */
export function sharedRateLimit(app: FastifyInstance, limit: RateLimit | undefined): onRequestAsyncHookHandler | undefined {
  return limit && limit.max > 0 ? app.rateLimit({ max: limit.max, timeWindow: limit.windowMs }) : undefined;
}
