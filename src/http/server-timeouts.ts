import type { FastifyHttpOptions } from 'fastify';
import type { Server } from 'node:http';
import { answerClientError } from './client-errors.js';

export interface HttpTimeouts {
  /** Longest time to receive a whole request, headers and body (0: none); then 408 and the socket is closed. */
  requestTimeoutMs: number;
  /** An idle socket is closed after this long (0: never). */
  connectionTimeoutMs: number;
}

/** Node's own default: long enough for a client's next request, short enough that idle sockets do not pile up. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Node looks for requests over their time only this often (30 s by default), so a cut-off is late by up to this. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** Node's own limit on receiving the headers. */
const HEADERS_TIMEOUT_MS = 60_000;

type TimeoutOptions = Pick<
  FastifyHttpOptions<Server>,
  'requestTimeout' | 'connectionTimeout' | 'keepAliveTimeout' | 'http' | 'clientErrorHandler'
>;

/** Fastify's server options for these timeouts. */
export function serverTimeouts({ requestTimeoutMs, connectionTimeoutMs }: HttpTimeouts): TimeoutOptions {
  return {
    // A request cut off is answered as an ErrorResponse (408 REQUEST_TIMEOUT), as every other error is.
    clientErrorHandler: answerClientError,
    requestTimeout: requestTimeoutMs,
    connectionTimeout: connectionTimeoutMs,
    // Below the idle timeout, which would otherwise close a kept-alive socket first, unannounced.
    keepAliveTimeout:
      connectionTimeoutMs > 0
        ? Math.max(1, Math.min(KEEP_ALIVE_TIMEOUT_MS, Math.floor(connectionTimeoutMs / 2)))
        : KEEP_ALIVE_TIMEOUT_MS,
    ...(requestTimeoutMs > 0 && {
      http: {
        // Node (20 and 24 alike) cuts a stalled request off only once
        // headersTimeout (60 s) is over too, and Fastify sets requestTimeout
        // alone, after creating the server: so both are given here, as Node
        // itself would default them.
        requestTimeout: requestTimeoutMs,
        headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
        connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, requestTimeoutMs),
      },
    }),
  };
}
