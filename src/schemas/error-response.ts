import { z } from 'zod';
import { HTTP_ERROR_CODES } from './http-error-catalogue.js';

const example = {
  code: 'VALIDATION_ERROR',
  message: 'The body is not valid: date: must be a real calendar date in the form YYYY-MM-DD.',
  details: {
    in: 'body',
    issues: [{ path: 'date', code: 'custom', message: 'must be a real calendar date in the form YYYY-MM-DD' }],
  },
} as const;

/** The one error shape of the service, on HTTP and inside `error` outcomes (whose codes are outcome codes). */
export const errorResponseSchema = z
  .object({
    code: z.string().meta({ description: 'Stable, machine-readable.', example: 'VALIDATION_ERROR' }),
    message: z.string().meta({ description: 'Human readable.', example: example.message }),
    details: z.unknown().optional().meta({ description: 'What exactly was wrong, e.g. the zod issues of a 422.' }),
  })
  .meta({
    id: 'OutcomeError',
    description:
      'The error of an `error` outcome, in the ErrorResponse shape: a stable code, a human readable message and optional details.',
    example,
  });

export type ErrorResponse = z.infer<typeof errorResponseSchema>;

/** Every non-2xx HTTP body: the same shape, its code from the HTTP error catalogue. */
export const httpErrorResponseSchema = errorResponseSchema
  .extend({
    code: z
      .enum(HTTP_ERROR_CODES)
      .meta({ description: 'Stable, machine-readable: one of the HTTP error catalogue.', example: 'VALIDATION_ERROR' }),
  })
  .meta({
    id: 'ErrorResponse',
    description: 'Error body: a stable code, a human readable message and optional details.',
    example,
  });

export type HttpErrorResponse = z.infer<typeof httpErrorResponseSchema>;
