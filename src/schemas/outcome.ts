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

/** Where a consumed event came from: its position in the events topic. */
export const sourcePositionSchema = z
  .object({
    transport: z.literal('kafka'),
    topic: z.string(),
    partition: z.number().int(),
    offset: z.string().meta({ description: 'The offset as a decimal string (64-bit).' }),
  })
  .meta({ id: 'KafkaSource', example: { transport: 'kafka', topic: 'contract-events', partition: 0, offset: '42' } });
export type SourcePosition = z.infer<typeof sourcePositionSchema>;

/** An event decided through `POST /events`. */
export const httpSourceSchema = z
  .object({
    transport: z.literal('http'),
    request_id: z.string().meta({ description: 'The id of the HTTP request that decided the event (also in its log line).' }),
  })
  .meta({ id: 'HttpSource', example: { transport: 'http', request_id: 'req-1f' } });
export type HttpSource = z.infer<typeof httpSourceSchema>;

export const outcomeSourceSchema = z.discriminatedUnion('transport', [sourcePositionSchema, httpSourceSchema]);
export type OutcomeSource = z.infer<typeof outcomeSourceSchema>;

/** Whether two sources are the same input message (a redelivery), not merely the same event sent again. */
export function sameInputMessage(a: OutcomeSource, b: OutcomeSource): boolean {
  if (a.transport === 'kafka' && b.transport === 'kafka') return a.topic === b.topic && a.partition === b.partition && a.offset === b.offset;
  return a.transport === 'http' && b.transport === 'http' && a.request_id === b.request_id;
}

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
    source: outcomeSourceSchema,
    processed_at: z.string(),
  })
  .meta({ id: 'EventOutcome' });

export type OutcomeMessage = z.infer<typeof outcomeMessageSchema>;
