import { z } from 'zod';
import { EVENT_TYPES } from '../domain/catalogue.js';
import { isCalendarDate } from '../domain/calendar-date.js';
import { readInstant, type InstantProblem } from '../domain/timestamp.js';
import { HEADER_TEXT, HEADER_TEXT_MESSAGE } from './header-text.js';
import { isStorableText, STORABLE_TEXT_MESSAGE } from './storable-text.js';

export const contractNumberSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .refine(isStorableText, STORABLE_TEXT_MESSAGE)
  .meta({ example: '1234' });

export const calendarDateSchema = z
  .string()
  .refine(isCalendarDate, 'must be a real calendar date in the form YYYY-MM-DD')
  .meta({ format: 'date', example: '2024-12-01' });

const INSTANT_PROBLEMS: Record<InstantProblem, string> = {
  format: 'must be an ISO 8601 date-time with at most 9 fractional digits (no offset means UTC)',
  calendar: 'must be a real calendar date and time of day (no leap second, no hour 24)',
  range: 'must fall within years 0001–9999 once converted to UTC',
};

export const instantSchema = z
  .string()
  .superRefine((text, context) => {
    const reading = readInstant(text);
    if ('problem' in reading) context.addIssue({ code: 'custom', message: INSTANT_PROBLEMS[reading.problem] });
  })
  .meta({
    format: 'date-time',
    description: 'Up to 9 fractional digits are accepted; digits past the sixth are dropped (microsecond precision).',
    example: '2024-11-20T10:15:30.123456Z',
  });

export const eventIdSchema = z
  .string()
  .min(1)
  .max(128)
  // A NUL is reported once, as text Postgres cannot store.
  .refine(isStorableText, { message: STORABLE_TEXT_MESSAGE, abort: true })
  .regex(HEADER_TEXT, HEADER_TEXT_MESSAGE)
  .meta({ description: "The producer's idempotency key (no control characters: it becomes the outcome's `event-id` Kafka header)." });

/** A component lifecycle event as upstream producers send it. Unknown fields are ignored. */
export const contractEventSchema = z
  .object({
    type: z.enum(EVENT_TYPES),
    contract_number: contractNumberSchema,
    date: calendarDateSchema,
    created_at: instantSchema,
    event_id: eventIdSchema.optional(),
  })
  .meta({
    id: 'ContractEvent',
    description: 'A component of a contract starts or ends.',
    example: { type: 'supply_energy_start', contract_number: '1234', date: '2024-12-01', created_at: '2024-11-20T10:00:00.123456+01:00', event_id: 'crm-7f3a2c' },
  });

export type ContractEventInput = z.infer<typeof contractEventSchema>;
