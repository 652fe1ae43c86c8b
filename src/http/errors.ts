import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorResponse } from '../schemas/error-response.js';
import { isDatabaseUnavailable } from '../store/database-failure.js';

/** An error a route raises on purpose, with the status and code to answer. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const contractNotFound = (contractNumber: string) => new HttpError(404, 'CONTRACT_NOT_FOUND', `Contract ${contractNumber} not found.`);

/** 503 with Retry-After, for a state that passes by itself (the database is away, the service is starting). */
export function sendUnavailable(reply: FastifyReply, message: string): FastifyReply {
  const body: ErrorResponse = { code: 'SERVICE_UNAVAILABLE', message };
  return reply.code(503).header('retry-after', '5').send(body);
}

// Fastify's own errors that are the client's fault, as ErrorResponse codes.
const CLIENT_ERRORS: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON' },
};

/** Every non-2xx answer is an ErrorResponse; internals are logged, never sent. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorResponse = { code: 'NOT_FOUND', message: `Route ${request.method} ${request.url} not found.` };
    return reply.code(404).send(body);
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).send({ code: error.code, message: error.message, details: error.details });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const part = error.validationContext ?? 'request';
      const issues = error.validation.map((issue) => ({
        path: issue.instancePath.replace(/^\//, '').replaceAll('/', '.'),
        code: issue.keyword,
        message: issue.message ?? 'is not valid',
      }));
      return reply.code(422).send({
        code: 'VALIDATION_ERROR',
        message: `The ${part} is not valid: ${issues.map((issue) => `${issue.path || part}: ${issue.message}`).join('; ')}.`,
        details: { in: part, issues },
      });
    }
    const known = error.code ? CLIENT_ERRORS[error.code] : undefined;
    if (known) return reply.code(known.status).send({ code: known.code, message: error.message });
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ code: 'BAD_REQUEST', message: error.message });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return sendUnavailable(reply, 'The database is unavailable or busy; retry later.');
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ code: 'INTERNAL_ERROR', message: 'An unexpected error occurred.' });
  });
}
