import { errorResponseSchema } from '../schemas/error-response.js';

/** Request bodies larger than this are refused with 413. */
export const BODY_LIMIT_BYTES = 64 * 1024;

// When each error status is answered, as the OpenAPI document says it.
const WHEN = {
  400: 'The body is not valid JSON (`INVALID_JSON`).',
  401: 'No valid bearer token (`UNAUTHORIZED`, with `WWW-Authenticate`).',
  403: 'The read token on a route that changes state (`FORBIDDEN`).',
  404: 'Not found (`CONTRACT_NOT_FOUND`, or `NOT_FOUND` for an unknown route).',
  409: 'Conflict: `CONTRACT_EXISTS` (the number is taken), `EVENT_ID_CONFLICT` (the event_id was decided for other content).',
  413: `The body is larger than ${BODY_LIMIT_BYTES / 1024} KiB (\`PAYLOAD_TOO_LARGE\`).`,
  415: 'The body is not `application/json` (`UNSUPPORTED_MEDIA_TYPE`).',
  422: 'The request is not valid (`VALIDATION_ERROR`); `details.issues` lists each problem.',
  429: 'Too many requests from this client address in the configured window, or too many of them refused for their token (`RATE_LIMITED`, with `Retry-After` and `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`).',
  500: 'Unexpected failure (`INTERNAL_ERROR`); the cause is logged, never sent.',
  503: 'Not ready (`NOT_READY`, with each check in `details`), or the service is still starting, cannot reach the database right now or the database did not answer in time (`SERVICE_UNAVAILABLE`, with `Retry-After`).',
} as const;

export type ErrorStatus = keyof typeof WHEN;

interface ErrorResponseContent {
  description: string;
  content: { 'application/json': { schema: typeof errorResponseSchema } };
}

/** What every route that takes a JSON body can also answer. */
export const JSON_BODY_ERRORS = [400, 413, 415, 422] as const;

/** Response schemas for the given error statuses, plus 500, which any route can answer. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]): Record<S | 500, ErrorResponseContent> {
  const responses: Partial<Record<ErrorStatus, ErrorResponseContent>> = {};
  for (const status of [...statuses, 500 as const]) {
    responses[status] = { description: WHEN[status], content: { 'application/json': { schema: errorResponseSchema } } };
  }
  return responses as Record<S | 500, ErrorResponseContent>;
}
