/**
 * Every code an HTTP error answer can carry, with its status, the message it
 * is sent with unless the answer says more, and when it is answered (the
 * OpenAPI descriptions and docs/http-api.md). Outcome codes on Kafka are a
 * catalogue of their own (src/domain/outcome-codes.ts).
 */
/** Request bodies larger than this are refused with 413 PAYLOAD_TOO_LARGE. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export const HTTP_ERRORS = {
  BAD_REQUEST: {
    status: 400,
    message: 'The request is not valid HTTP.',
    description: 'Bytes that are not HTTP, or a request Fastify refuses before any route (answered by the server itself).',
  },
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON.', description: 'The body is not valid JSON.' },
  UNAUTHORIZED: {
    status: 401,
    message: 'This route needs a valid bearer token (Authorization: Bearer <token>).',
    description: 'No valid bearer token; with `WWW-Authenticate`.',
  },
  FORBIDDEN: {
    status: 403,
    message: 'The read token cannot change state; use the API token.',
    description: 'The read token on a route that changes state; with `WWW-Authenticate: …, error="insufficient_scope"`.',
  },
  NOT_FOUND: { status: 404, message: 'No such route.', description: 'No route has this method and path.' },
  CONTRACT_NOT_FOUND: { status: 404, message: 'The contract is not found.', description: 'No contract has this number (or no such incarnation of it).' },
  REQUEST_TIMEOUT: {
    status: 408,
    message: 'The request was not received in time (HTTP_REQUEST_TIMEOUT_MS).',
    description: 'The whole request did not arrive within `HTTP_REQUEST_TIMEOUT_MS`; the connection is closed.',
  },
  CONTRACT_EXISTS: { status: 409, message: 'The contract already exists.', description: 'The contract number is taken.' },
  EVENT_ID_CONFLICT: {
    status: 409,
    message: 'The event_id was decided for an event with other content.',
    description: 'The event_id was decided for other content; nothing changes.',
  },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The body is too large.', description: `The body is larger than ${BODY_LIMIT_BYTES / 1024} KiB.` },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The body must be application/json.', description: 'The body is not `application/json`.' },
  VALIDATION_ERROR: {
    status: 422,
    message: 'The request is not valid.',
    description: 'The body, path or query is not valid; `details: { in, issues: [{ path, code, message }] }` lists each problem.',
  },
  RATE_LIMITED: {
    status: 429,
    message: 'Too many requests from this address; retry later.',
    description:
      'Too many requests from this client address in the configured window, or too many of them refused for their token; ' +
      'with `Retry-After` and `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`.',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    message: 'The request headers are too large.',
    description: "The request headers are over Node's limit (16 KiB; answered by the server itself).",
  },
  INTERNAL_ERROR: { status: 500, message: 'An unexpected error occurred.', description: 'Unexpected failure; the cause is logged, never sent.' },
  NOT_READY: { status: 503, message: 'The service is not ready.', description: 'The database, Kafka or the consumer is not ready; `details` holds each check.' },
  SERVICE_UNAVAILABLE: {
    status: 503,
    message: 'The service is unavailable; retry later.',
    description:
      'The service is still starting, cannot reach the database right now or the database did not answer in time; with `Retry-After`.',
  },
} as const satisfies Record<string, { status: number; message: string; description: string }>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export const HTTP_ERROR_CODES = Object.keys(HTTP_ERRORS) as [HttpErrorCode, ...HttpErrorCode[]];

/** Each code by name (`HttpErrorCode.CONTRACT_NOT_FOUND`), so no code is spelt as a string where it is answered. */
export const HttpErrorCode = Object.fromEntries(HTTP_ERROR_CODES.map((code) => [code, code])) as { readonly [C in HttpErrorCode]: C };

/** The status a code is answered with. */
export type HttpErrorStatus<C extends HttpErrorCode = HttpErrorCode> = (typeof HTTP_ERRORS)[C]['status'];
