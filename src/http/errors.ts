import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { HttpErrorResponse } from '../schemas/error-response.js';
import { HTTP_ERRORS, HttpErrorCode, type HttpErrorStatus } from '../schemas/http-error-catalogue.js';
import { isDatabaseUnavailable } from '../store/database-failure.js';

/** The body of an answer with a catalogue code: its default message unless one is given. */
export function errorBody(code: HttpErrorCode, message?: string, details?: unknown): HttpErrorResponse {
  return { code, message: message ?? HTTP_ERRORS[code].message, ...(details !== undefined && { details }) };
}

/** Answers with a catalogue code, at the status the catalogue gives it. */
export function sendError(reply: FastifyReply, code: HttpErrorCode, message?: string, details?: unknown): FastifyReply {
  return reply.code(HTTP_ERRORS[code].status).send(errorBody(code, message, details));
}

/** An error a route raises on purpose, answered with its catalogue code and status. */
export class HttpError extends Error {
  readonly statusCode: HttpErrorStatus;

  constructor(
    readonly code: HttpErrorCode,
    message?: string,
    readonly details?: unknown,
  ) {
    super(message ?? HTTP_ERRORS[code].message);
    this.name = 'HttpError';
    this.statusCode = HTTP_ERRORS[code].status;
  }
}

export const contractNotFound = (contractNumber: string) =>
  new HttpError(HttpErrorCode.CONTRACT_NOT_FOUND, `Contract ${contractNumber} not found.`);

/** 503 with Retry-After, for a state that passes by itself (the database is away, the service is starting). */
export function sendUnavailable(reply: FastifyReply, message: string): FastifyReply {
  return sendError(reply.header('retry-after', '5'), HttpErrorCode.SERVICE_UNAVAILABLE, message);
}

// Fastify's own errors that are the client's fault, as catalogue codes.
const CLIENT_ERRORS: Record<string, HttpErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: HttpErrorCode.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_BODY_TOO_LARGE: HttpErrorCode.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_JSON_BODY: HttpErrorCode.INVALID_JSON,
  FST_ERR_CTP_EMPTY_JSON_BODY: HttpErrorCode.INVALID_JSON,
};

/** Every non-2xx answer is an ErrorResponse; internals are logged, never sent. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    return sendError(reply, HttpErrorCode.NOT_FOUND, `Route ${request.method} ${request.url} not found.`);
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) {
      return sendError(reply, error.code, error.message, error.details);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const part = error.validationContext ?? 'request';
      const issues = error.validation.map((issue) => ({
        path: issue.instancePath.replace(/^\//, '').replaceAll('/', '.'),
        code: issue.keyword,
        message: issue.message ?? 'is not valid',
      }));
      const message = `The ${part} is not valid: ${issues.map((issue) => `${issue.path || part}: ${issue.message}`).join('; ')}.`;
      return sendError(reply, HttpErrorCode.VALIDATION_ERROR, message, { in: part, issues });
    }
    const known = error.code ? CLIENT_ERRORS[error.code] : undefined;
    if (known) return sendError(reply, known, error.message);
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
      return sendError(reply, HttpErrorCode.BAD_REQUEST, error.message);
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return sendUnavailable(reply, 'The database is unavailable or busy; retry later.');
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, HttpErrorCode.INTERNAL_ERROR);
  });
}
