import fastifyRateLimit, { type errorResponseBuilderContext } from '@fastify/rate-limit';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { HttpErrorCode } from '../schemas/http-error-catalogue.js';
import { HttpError } from './errors.js';

/** Requests one client address may make in a window. */
export interface RateLimit {
  /** 0: no limit. */
  max: number;
  windowMs: number;
}

/** 429 RATE_LIMITED saying what was too much and when to retry. */
function rateLimited(what: string, context: errorResponseBuilderContext): HttpError {
  // What Retry-After says, rather than the rounded `context.after` ("1 minute").
  const seconds = Math.ceil(context.ttl / 1000);
  return new HttpError(
    HttpErrorCode.RATE_LIMITED,
    `Too many ${what} from this address; retry in ${seconds} second${seconds === 1 ? '' : 's'}.`,
  );
}

/**
 * Makes `app.rateLimit` available; no route is limited unless it asks.
 * Must come before the routes and authentication. A refused request is
 * answered 429 with Retry-After and the RateLimit-Limit / -Remaining / -Reset headers.
 */
export async function registerRateLimiting(app: FastifyInstance): Promise<void> {
  await app.register(fastifyRateLimit, {
    global: false,
    // RateLimit-* headers as the IETF draft names them, rather than X-RateLimit-*.
    enableDraftSpec: true,
    errorResponseBuilder: (request, context) =>
      rateLimited(`requests to ${request.method} ${request.routeOptions.url ?? request.url}`, context),
  });
}

/**
 * An onRequest hook that counts requests per client address (request.ip) for
 * every route it is given to, together (so an alias adds no allowance of its
 * own), and refuses those over the limit before their body is read; none
 * when `max` is 0. The 429 names the route, or says `Too many <what>`.
 */
export function sharedRateLimit(
  app: FastifyInstance,
  limit: RateLimit | undefined,
  what?: string,
): onRequestAsyncHookHandler | undefined {
  if (!limit || limit.max === 0) return undefined;
  const message =
    what === undefined
      ? {}
      : {
          errorResponseBuilder: (_request: unknown, context: errorResponseBuilderContext) => rateLimited(what, context),
        };
  return app.rateLimit({ max: limit.max, timeWindow: limit.windowMs, ...message });
}
