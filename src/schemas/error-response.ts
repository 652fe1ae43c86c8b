import { z } from 'zod';

/** The one error shape of the service, on HTTP and inside `error` outcomes. */
export const errorResponseSchema = z
  .object({
    code: z.string().meta({ description: 'Stable, machine-readable.', example: 'VALIDATION_ERROR' }),
    message: z.string().meta({ description: 'Human readable.', example: 'The body is not valid: date: must be a real calendar date in the form YYYY-MM-DD.' }),
    details: z.unknown().optional().meta({ description: 'What exactly was wrong, e.g. the zod issues of a 422.' }),
  })
  .meta({
    id: 'ErrorResponse',
    description: 'Error body: a stable code, a human readable message and optional details.',
    example: {
      code: 'VALIDATION_ERROR',
      message: 'The body is not valid: date: must be a real calendar date in the form YYYY-MM-DD.',
      details: { in: 'body', issues: [{ path: 'date', code: 'custom', message: 'must be a real calendar date in the form YYYY-MM-DD' }] },
    },
  });

export type ErrorResponse = z.infer<typeof errorResponseSchema>;
