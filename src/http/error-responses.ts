import { httpErrorResponseSchema } from '../schemas/error-response.js';
import { HTTP_ERRORS, HttpErrorCode, type HttpErrorStatus } from '../schemas/http-error-catalogue.js';

export { BODY_LIMIT_BYTES } from '../schemas/http-error-catalogue.js';

/** One error status of a route in the OpenAPI document: each code it can answer with is an example, named by its code. */
export interface ErrorResponseContent {
  description: string;
  content: {
    'application/json': {
      schema: typeof httpErrorResponseSchema;
      examples: Partial<Record<HttpErrorCode, { summary: string; value: { code: HttpErrorCode; message: string } }>>;
    };
  };
}

export type ErrorResponses = Partial<Record<HttpErrorStatus, ErrorResponseContent>>;

/** What every route that takes a JSON body can also answer. */
export const JSON_BODY_ERRORS = [
  HttpErrorCode.INVALID_JSON,
  HttpErrorCode.PAYLOAD_TOO_LARGE,
  HttpErrorCode.UNSUPPORTED_MEDIA_TYPE,
  HttpErrorCode.VALIDATION_ERROR,
] as const;

/** What every route that looks a contract up by its number (a path parameter) can also answer. */
export const CONTRACT_LOOKUP_ERRORS = [
  HttpErrorCode.CONTRACT_NOT_FOUND,
  HttpErrorCode.VALIDATION_ERROR,
  HttpErrorCode.SERVICE_UNAVAILABLE,
] as const;

/** The codes a route's responses declare, taken from the examples `errorResponses` put there. */
export function declaredErrorCodes(responses: Record<string, unknown> | undefined): HttpErrorCode[] {
  return Object.values(responses ?? {}).flatMap((response) => {
    const examples = (response as Partial<ErrorResponseContent>).content?.['application/json']?.examples;
    return examples ? (Object.keys(examples) as HttpErrorCode[]) : [];
  });
}

/**
 * A route's error responses from the codes it can answer, plus INTERNAL_ERROR,
 * which any route can: per status a description and an example per code, both
 * from the catalogue. Merge with a route's other responses by listing every
 * code again (`declaredErrorCodes`), since a status holds all its codes.
 */
export function errorResponses(...codes: HttpErrorCode[]): ErrorResponses {
  const responses: ErrorResponses = {};
  for (const code of new Set([...codes, HttpErrorCode.INTERNAL_ERROR])) {
    const { status, message, description } = HTTP_ERRORS[code];
    const response = (responses[status] ??= {
      description: '',
      content: { 'application/json': { schema: httpErrorResponseSchema, examples: {} } },
    });
    response.description += `${response.description ? ' ' : ''}\`${code}\`: ${description}`;
    response.content['application/json'].examples[code] = { summary: description, value: { code, message } };
  }
  return responses;
}
