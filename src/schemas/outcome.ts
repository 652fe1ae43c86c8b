import { z } from 'zod';
import { EVENT_TYPES } from '../domain/catalogue.js';
import { DECISION_CODES } from '../domain/outcome-codes.js';
import { errorResponseSchema } from './error-response.js';
import { decidedEventIdSchema } from './event.js';

export const INPUT_ERROR_CODES = ['INVALID_JSON', 'VALIDATION_ERROR'] as const;
export type InputErrorCode = (typeof INPUT_ERROR_CODES)[number];

/** A decoded event that could not be decided after repeated permanent database failures. */
export const PROCESSING_FAILED = 'PROCESSING_FAILED';

/** An event_id already decided for an event with other content: answered, never applied. */
export const EVENT_ID_CONFLICT = 'EVENT_ID_CONFLICT';

export const outcomeStatusSchema = z.enum(['accepted', 'rejected', 'error']);
export type OutcomeStatus = z.infer<typeof outcomeStatusSchema>;

export const outcomeCodeSchema = z.enum([
  ...DECISION_CODES,
  ...INPUT_ERROR_CODES,
  PROCESSING_FAILED,
  EVENT_ID_CONFLICT,
]);
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
    request_id: z
      .string()
      .meta({ description: 'The id of the HTTP request that decided the event (also in its log line).' }),
  })
  .meta({ id: 'HttpSource', example: { transport: 'http', request_id: 'req-1f' } });
export type HttpSource = z.infer<typeof httpSourceSchema>;

export const outcomeSourceSchema = z.discriminatedUnion('transport', [sourcePositionSchema, httpSourceSchema]);
export type OutcomeSource = z.infer<typeof outcomeSourceSchema>;

/** Whether two sources are the same input message (a redelivery), not merely the same event sent again. */
export function sameInputMessage(a: OutcomeSource, b: OutcomeSource): boolean {
  if (a.transport === 'kafka' && b.transport === 'kafka')
    return a.topic === b.topic && a.partition === b.partition && a.offset === b.offset;
  return a.transport === 'http' && b.transport === 'http' && a.request_id === b.request_id;
}

/** What a revision outcome replaces: the event's previous decision, and which event caused the change. */
export const revisedDecisionSchema = z
  .object({
    revision: z.number().int().min(0),
    status: outcomeStatusSchema,
    code: outcomeCodeSchema,
    caused_by: z.string().meta({ description: 'The event_id of the late event whose arrival changed the decision.' }),
  })
  .meta({ id: 'RevisedDecision' });
export type RevisedDecision = z.infer<typeof revisedDecisionSchema>;

/**
 * One message on the outcome topic per consumed event; in EVENT_ORDER=created_at
 * mode also one per revised decision (`revises` set).
 */
export const outcomeMessageSchema = z
  .object({
    event_id: decidedEventIdSchema,
    status: outcomeStatusSchema,
    code: outcomeCodeSchema,
    message: z.string(),
    duplicate: z.boolean(),
    event: decidedEventSchema.nullable(),
    error: errorResponseSchema.nullable(),
    source: outcomeSourceSchema,
    processed_at: z.string(),
    revision: z.number().int().min(0).meta({
      description:
        'Which decision of the event this is: 0 for the first; counts up each time EVENT_ORDER=created_at re-decides it.',
    }),
    revises: revisedDecisionSchema.nullable().meta({
      description:
        'On a revision outcome (an earlier event re-decided because a late event arrived): the decision it replaces. Null otherwise.',
    }),
    replay: z.boolean().meta({ description: 'True on outcomes re-published by `npm run replay -- --republish`.' }),
  })
  .meta({ id: 'EventOutcome' });

export type OutcomeMessage = z.infer<typeof outcomeMessageSchema>;
