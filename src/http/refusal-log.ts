import type { FastifyRequest } from 'fastify';

/** Why a request was refused: no token, a wrong one, the read token on a change, or too many refusals from its address. */
export type RefusalReason = 'missing_token' | 'invalid_token' | 'insufficient_scope' | 'too_many_refusals';

/** A reason is logged at most once in this long. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

/** The longest URL a refusal line quotes (a request line may be 16 KiB). */
export const MAX_LOGGED_URL_LENGTH = 256;

const cut = (url: string) => (url.length <= MAX_LOGGED_URL_LENGTH ? url : `${url.slice(0, MAX_LOGGED_URL_LENGTH)}…`);

/**
 * Logs refused requests at warn: the first of each reason, then at most one
 * line per reason and interval, with how many refusals of that reason went
 * unlogged since the last line. A flood of bad tokens costs a few lines, not
 * one per request.
 */
export function createRefusalLog(intervalMs = REFUSAL_LOG_INTERVAL_MS, now: () => number = Date.now) {
  const last = new Map<RefusalReason, { loggedAt: number; recurred: number }>();
  return (request: FastifyRequest, status: 401 | 403 | 429, reason: RefusalReason): void => {
    const at = now();
    const previous = last.get(reason);
    if (previous && at - previous.loggedAt < intervalMs) {
      previous.recurred += 1;
      return;
    }
    const recurred = previous ? { recurredSinceLastLine: previous.recurred } : {};
    request.log.warn(
      { method: request.method, url: cut(request.url), remoteAddress: request.ip, status, reason, ...recurred },
      'refused a request without a valid API token',
    );
    last.set(reason, { loggedAt: at, recurred: 0 });
  };
}
