import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, onRequestAsyncHookHandler, RouteOptions } from 'fastify';
import { HttpErrorCode } from '../schemas/http-error-catalogue.js';
import { recordCredential } from './credential.js';
import { declaredErrorCodes, errorResponses } from './error-responses.js';
import { sendError } from './errors.js';
import { createRefusalLog, type RefusalReason } from './refusal-log.js';

/** Who may call a route: `write` changes state, `read` only reads, `open` is for probes, scrapes and the docs. */
export type RouteAccess = 'write' | 'read' | 'open';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route in the OpenAPI document declares it (`config: { access }`). */
    access?: RouteAccess;
  }
}

/** The bearer tokens of the API (several while one is rotated); a route needs none while its tokens are unset. */
export interface ApiTokens {
  /** API_TOKEN: every route that changes state; also accepted for reads. */
  write?: readonly string[];
  /** API_READ_TOKEN: reads. */
  read?: readonly string[];
  /** Reads ask for a token (API_TOKEN) even without API_READ_TOKEN: the API listens beyond loopback. */
  readsNeedToken?: boolean;
}

/** The name of the security scheme in the OpenAPI document. */
export const BEARER_SCHEME = 'bearerAuth';

const REALM = 'Bearer realm="contract-events-service"';

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Compares in constant time; hashing both first keeps the expected token's length secret too. */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** The token of an `Authorization: Bearer <token>` header; undefined for any other scheme or none. */
function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1];
}

/** The tokens a route accepts, or undefined when it is open as configured. */
function acceptedTokens(access: RouteAccess | undefined, tokens: ApiTokens): readonly string[] | undefined {
  if (access === 'write') return tokens.write;
  if (access !== 'read' || (tokens.read === undefined && tokens.readsNeedToken !== true)) return undefined;
  const either = [...(tokens.read ?? []), ...(tokens.write ?? [])];
  // No token at all is an API open as a whole (ALLOW_UNAUTHENTICATED_HTTP): there is none to ask for.
  return either.length > 0 ? either : undefined;
}

/** True when `given` is one of `tokens`; every one is compared, so the time taken does not tell which matched. */
function matchesAny(given: string, tokens: readonly string[]): boolean {
  return tokens.map((token) => tokenMatches(given, token)).includes(true);
}

/**
 * Enforces each route's declared access with the configured tokens, and
 * documents it: the OpenAPI document of a running instance shows the
 * security scheme, and 401/403, exactly where that instance asks for a token.
 * `limitRefusals` counts the refused requests of each client address and
 * throws 429 once there are too many, so guessing tokens is slow; requests
 * with a valid token are never counted. Must be installed before the routes
 * are registered.
 */
export function installAuthentication(
  app: FastifyInstance,
  tokens: ApiTokens,
  limitRefusals?: onRequestAsyncHookHandler,
): void {
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    // Fail closed at start-up rather than serve a route nobody decided about.
    if (access === undefined && route.schema?.hide !== true) {
      throw new Error(
        `Route ${String(route.method)} ${route.url} declares no access (config.access: 'write' | 'read' | 'open').`,
      );
    }
    documentAccess(route, access, tokens, limitRefusals !== undefined);
  });
  const logRefusal = createRefusalLog();
  app.addHook('onRequest', async (request, reply) => {
    const accepted = acceptedTokens(request.routeOptions.config.access, tokens);
    if (accepted === undefined) return;
    const given = bearerToken(request.headers.authorization);
    if (given !== undefined && matchesAny(given, accepted)) {
      // The token that matched is the one given: the route may record who acted (credentialOf).
      recordCredential(request, given);
      return;
    }
    try {
      await limitRefusals?.call(app, request, reply);
    } catch (tooMany) {
      logRefusal(request, 429, 'too_many_refusals');
      throw tooMany;
    }
    // A read token on a write route is a valid identity without the scope (RFC 6750: 403 insufficient_scope).
    if (given !== undefined && tokens.read !== undefined && matchesAny(given, tokens.read)) {
      logRefusal(request, 403, 'insufficient_scope');
      return refuse(reply, HttpErrorCode.FORBIDDEN, 'insufficient_scope');
    }
    logRefusal(request, 401, given === undefined ? 'missing_token' : 'invalid_token');
    return refuse(reply, HttpErrorCode.UNAUTHORIZED, given === undefined ? undefined : 'invalid_token');
  });
}

function refuse(
  reply: FastifyReply,
  code: typeof HttpErrorCode.UNAUTHORIZED | typeof HttpErrorCode.FORBIDDEN,
  error: Extract<RefusalReason, 'invalid_token' | 'insufficient_scope'> | undefined,
): FastifyReply {
  return sendError(reply.header('www-authenticate', error === undefined ? REALM : `${REALM}, error="${error}"`), code);
}

function documentAccess(
  route: RouteOptions,
  access: RouteAccess | undefined,
  tokens: ApiTokens,
  refusalsLimited: boolean,
): void {
  if (acceptedTokens(access, tokens) === undefined || !route.schema) return;
  const codes: HttpErrorCode[] = [HttpErrorCode.UNAUTHORIZED];
  if (access === 'write' && tokens.read !== undefined) codes.push(HttpErrorCode.FORBIDDEN);
  if (refusalsLimited) codes.push(HttpErrorCode.RATE_LIMITED);
  const response = route.schema.response as Record<string, unknown> | undefined;
  const errors = errorResponses(...declaredErrorCodes(response), ...codes);
  route.schema = { ...route.schema, security: [{ [BEARER_SCHEME]: [] }], response: { ...response, ...errors } };
}
