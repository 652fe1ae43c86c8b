import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** The credential of a request that no token was asked for (none is configured for its route). */
export const ANONYMOUS = 'anonymous';

/**
 * Names a token without revealing it: `api-token:` and the first 12 hex digits
 * of its SHA-256, which an operator computes with
 * `printf %s "$TOKEN" | sha256sum | cut -c1-12`.
 */
export function credentialLabel(token: string): string {
  return `api-token:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

// Kept beside the request rather than on it, so other Fastify apps' requests do not claim a field they never get.
const credentials = new WeakMap<FastifyRequest, string>();

/** Called by the authentication hook with the token that let the request through. */
export function recordCredential(request: FastifyRequest, token: string): void {
  credentials.set(request, credentialLabel(token));
}

/** Who made the request, as it may be stored and logged: the label of its token, or `anonymous`. */
export function credentialOf(request: FastifyRequest): string {
  return credentials.get(request) ?? ANONYMOUS;
}
