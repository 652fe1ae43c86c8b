import { z } from 'zod';

/** The one error shape of the service, on HTTP and inside `error` outcomes. */
export const errorResponseSchema = z
  .object({
    code: z.string().meta({ example: 'VALIDATION_ERROR' }),
    message: z.string().meta({ example: 'The event is not valid.' }),
    details: z.unknown().optional(),
  })
  .meta({ id: 'ErrorResponse', description: 'Error body: a stable code, a human readable message and optional details.' });

export type ErrorResponse = z.infer<typeof errorResponseSchema>;
