import { z } from 'zod';
import { EVENT_TYPES } from '../domain/catalogue.js';
import { DECISION_CODES } from '../domain/outcome-codes.js';
import { errorResponseSchema } from './error-response.js';

export const INPUT_ERROR_CODES = ['INVALID_JSON', 'VALIDATION_ERROR'] as const;
export type InputErrorCode = (typeof INPUT_ERROR_CODES)[number];

/** A decoded event that could not be decided after repeated permanent database failures. */
export const PROCESSING_FAILED = 'PROCESSING_FAILED';

export const outcomeStatusSchema = z.enum(['accepted', 'rejected', 'error']);
export type OutcomeStatus = z.infer<typeof outcomeStatusSchema>;

export const outcomeCodeSchema = z.enum([...DECISION_CODES, ...INPUT_ERROR_CODES, PROCESSING_FAILED]);
export type OutcomeCode = z.infer<typeof outcomeCodeSchema>;

/** The event as the service understood it: created_at normalised to UTC with microseconds. */
export const decidedEventSchema = z.object({
  type: z.enum(EVENT_TYPES),
  contract_number: z.string(),
  date: z.string(),
  created_at: z.string(),
});

export const sourcePositionSchema = z.object({
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
});
export type SourcePosition = z.infer<typeof sourcePositionSchema>;

/** One message on the outcome topic per consumed event. */
export const outcomeMessageSchema = z
  .object({
    event_id: z.string(),
    status: outcomeStatusSchema,
    code: outcomeCodeSchema,
    message: z.string(),
    duplicate: z.boolean(),
    event: decidedEventSchema.nullable(),
    error: errorResponseSchema.nullable(),
    source: sourcePositionSchema.nullable(),
    processed_at: z.string(),
  })
  .meta({ id: 'EventOutcome' });

export type OutcomeMessage = z.infer<typeof outcomeMessageSchema>;
