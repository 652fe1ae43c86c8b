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
    description:
      'Bytes that are not HTTP, or a request refused before any route could read it (answered by the server itself).',
  },
  INVALID_JSON: { status: 400, message: 'The body is not valid JSON.', description: 'The body is not valid JSON.' },
  UNAUTHORIZED: {
    status: 401,
    message: 'This route needs a valid bearer token (Authorization: Bearer <token>).',
    description:
      'A token is configured for the route and the request has none or a wrong one; `WWW-Authenticate: Bearer realm="contract-events-service"` ' +
      '(with `error="invalid_token"` for a wrong one).',
  },
  FORBIDDEN: {
    status: 403,
    message: 'The read token cannot change state; use the API token.',
    description: 'The read token on a route that changes state; `WWW-Authenticate: …, error="insufficient_scope"`.',
  },
  NOT_FOUND: { status: 404, message: 'No such route.', description: 'No route has this method and path.' },
  CONTRACT_NOT_FOUND: {
    status: 404,
    message: 'The contract is not found.',
    description: 'No contract has this number (or, with `?incarnation=`, no such incarnation of it).',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    message: 'The request was not received in time (HTTP_REQUEST_TIMEOUT_MS).',
    description:
      'The whole request did not arrive within `HTTP_REQUEST_TIMEOUT_MS`; the connection is closed (answered by the server itself).',
  },
  CONTRACT_EXISTS: {
    status: 409,
    message: 'The contract already exists.',
    description: '`POST /contracts` with a number that is taken.',
  },
  EVENT_ID_CONFLICT: {
    status: 409,
    message: 'The event_id was decided for an event with other content.',
    description: '`POST /events` with an event_id already decided for other content; nothing changes.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    message: 'The body is too large.',
    description: `A body over ${BODY_LIMIT_BYTES / 1024} KiB.`,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'The body must be application/json.',
    description: 'A body that is not `application/json`.',
  },
  VALIDATION_ERROR: {
    status: 422,
    message: 'The request is not valid.',
    description: 'Body, path or query invalid; `details: { in, issues: [{ path, code, message }] }`.',
  },
  RATE_LIMITED: {
    status: 429,
    message: 'Too many requests from this address; retry later.',
    description:
      '`POST /events` over `EVENTS_RATE_LIMIT_MAX` requests from one address in the window, or any route that asks for a token over ' +
      '`REFUSED_RATE_LIMIT_MAX` refused requests from one address; `Retry-After` (the message says the same number of seconds), ' +
      '`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`.',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    message: 'The request headers are too large.',
    description: "Request headers over Node's limit (16 KiB; answered by the server itself).",
  },
  INTERNAL_ERROR: {
    status: 500,
    message: 'An unexpected error occurred.',
    description: 'Anything unexpected; the message is generic, the cause is only logged.',
  },
  NOT_READY: {
    status: 503,
    message: 'The service is not ready.',
    description: '`/health/ready` while the database, Kafka or the consumer is not ready; `details` holds each check.',
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    message: 'The service is unavailable; retry later.',
    description:
      'Any API route while the service is starting (before its migrations are applied), any route that needs the database while it ' +
      'cannot be reached, or when its statement, a lock it waits for or a free connection of the HTTP pool takes too long; `Retry-After: 5`.',
  },
} as const satisfies Record<string, { status: number; message: string; description: string }>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export const HTTP_ERROR_CODES = Object.keys(HTTP_ERRORS) as [HttpErrorCode, ...HttpErrorCode[]];

/** Each code by name (`HttpErrorCode.CONTRACT_NOT_FOUND`), so no code is spelt as a string where it is answered. */
export const HttpErrorCode = Object.fromEntries(HTTP_ERROR_CODES.map((code) => [code, code])) as {
  readonly [C in HttpErrorCode]: C;
};

/** The status a code is answered with. */
export type HttpErrorStatus<C extends HttpErrorCode = HttpErrorCode> = (typeof HTTP_ERRORS)[C]['status'];
