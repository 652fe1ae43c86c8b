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

/**
 * Every id the service makes up starts with this (see `decidedEventIdSchema`),
 * and no producer's id may: so no producer can take an id the service derives
 * for a later event.
 */
export const DERIVED_ID_PREFIX = 'derived:';

export const eventIdSchema = z
  .string()
  .min(1)
  .max(128)
  // A NUL is reported once, as text Postgres cannot store.
  .refine(isStorableText, { message: STORABLE_TEXT_MESSAGE, abort: true })
  .regex(HEADER_TEXT, HEADER_TEXT_MESSAGE)
  .regex(
    new RegExp(`^(?!${DERIVED_ID_PREFIX})`),
    `must not start with "${DERIVED_ID_PREFIX}", which marks the ids the service derives for events sent without event_id`,
  )
  .meta({
    description:
      "The producer's idempotency key (no control characters: it becomes the outcome's `event-id` Kafka header). " +
      `Ids starting with \`${DERIVED_ID_PREFIX}\` are reserved for the ids the service derives. Without it the event's id is derived from its content.`,
  });

/** The event_id of a decided event or an answered message, as outcomes and the API report it. */
export const decidedEventIdSchema = z.string().meta({
  description:
    `The producer's \`event_id\`; or, for an event sent without one, \`${DERIVED_ID_PREFIX}\` and the SHA-256 (64 lowercase hex digits) of ` +
    'its type, contract_number, date and created_at (in UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`) joined by line feeds (U+000A); ' +
    `or, for a message that is not a valid event and carries no valid \`event_id\`, \`${DERIVED_ID_PREFIX}\` and the SHA-256 of ` +
    `\`invalid\`, its topic, partition and offset joined by line feeds. No producer's id starts with \`${DERIVED_ID_PREFIX}\`.`,
});

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
    example: {
      type: 'supply_energy_start',
      contract_number: '1234',
      date: '2024-12-01',
      created_at: '2024-11-20T10:00:00.123456+01:00',
      event_id: 'crm-7f3a2c',
    },
  });

export type ContractEventInput = z.infer<typeof contractEventSchema>;
