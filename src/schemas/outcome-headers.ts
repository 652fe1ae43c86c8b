import { z } from 'zod';
import type { OutcomeStatus } from './outcome.js';

/**
 * A longer tracestate is not carried onto an outcome: W3C asks to pass on at
 * least 512 characters, and an outcome must stay small enough for its topic
 * whatever a producer sends.
 */
export const MAX_TRACESTATE_LENGTH = 512;

// W3C Trace Context, section 3.3: `tracestate` is up to 32 comma-separated
// list members, each `key=value` or empty, with optional spaces and tabs
// around the commas. A key is lower-case (`vendor` or `tenant@vendor`); a
// value is printable ASCII without `,` and `=` that does not end in a space.
// Each list member's parts are delimited unambiguously, so the pattern cannot
// backtrack its way into exponential time.
const KEY_CHAR = '[a-z0-9_*/-]';
const TRACESTATE_KEY = `(?:[a-z]${KEY_CHAR}{0,255}|[a-z0-9]${KEY_CHAR}{0,240}@[a-z]${KEY_CHAR}{0,13})`;
const TRACESTATE_VALUE = '[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]';
const TRACESTATE_MEMBER = `[ \\t]*(?:${TRACESTATE_KEY}=${TRACESTATE_VALUE}[ \\t]*)?`;
const TRACESTATE = new RegExp(`^${TRACESTATE_MEMBER}(?:,${TRACESTATE_MEMBER}){0,31}$`);

/** True when no key is given twice (empty list members have none). */
function keysUnique(tracestate: string): boolean {
  const keys = tracestate
    .split(',')
    .map((member) => member.trim().split('=')[0])
    .filter(Boolean);
  return new Set(keys).size === keys.length;
}

/**
 * A `tracestate` an outcome may carry: valid by the W3C grammar, each key
 * once, at most MAX_TRACESTATE_LENGTH characters. Anything else (a control
 * character, a line break) is not carried at all.
 */
export const tracestateSchema = z
  .string()
  .max(MAX_TRACESTATE_LENGTH)
  .regex(TRACESTATE, 'expected a W3C tracestate: at most 32 comma-separated key=value members')
  .refine(keysUnique, 'expected each tracestate key once');

/** `ce_source` of every outcome: this service, whatever instance or transport decided it. */
export const CLOUDEVENTS_SOURCE = '/contract-events-service';

/** `ce_type` per outcome status, reverse-DNS style as the CloudEvents spec recommends. */
export const CLOUDEVENTS_TYPES = {
  accepted: 'io.contract-events.outcome.accepted',
  rejected: 'io.contract-events.outcome.rejected',
  error: 'io.contract-events.outcome.error',
} as const satisfies Record<OutcomeStatus, string>;

/**
 * The Kafka headers of an outcome message: its event id, and the attributes
 * of the CloudEvents Kafka protocol binding in binary content mode (the value
 * is the event's data, `content-type` its `datacontenttype`).
 */
export const outcomeHeadersSchema = z
  .object({
    'event-id': z.string().meta({ description: 'Same as payload.event_id.' }),
    'content-type': z
      .literal('application/json')
      .meta({ description: "The payload is JSON (the CloudEvent's `datacontenttype`)." }),
    ce_specversion: z.literal('1.0').meta({ description: 'CloudEvents specification version.' }),
    ce_id: z.string().meta({
      description:
        "The outcome's identity, the same on every copy of it: `<topic>/<partition>/<offset>` of the input message " +
        '(`http/<request id>` for POST /events), with `/revision/<n>` appended for a revised decision.',
    }),
    ce_source: z.literal(CLOUDEVENTS_SOURCE).meta({ description: 'This service.' }),
    ce_type: z
      .enum([CLOUDEVENTS_TYPES.accepted, CLOUDEVENTS_TYPES.rejected, CLOUDEVENTS_TYPES.error])
      .meta({ description: 'One type per outcome status.' }),
    ce_time: z.string().meta({ description: 'Same as payload.processed_at (RFC 3339, microseconds, UTC).' }),
    traceparent: z
      .string()
      .regex(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/)
      .meta({
        description:
          "W3C Trace Context: the input message's trace continued (same trace id, the service's span as parent; " +
          "for POST /events, the request's traceparent header), " +
          'or a new trace when the input had no valid traceparent. The same on every copy of an outcome.',
      }),
    tracestate: tracestateSchema.optional().meta({
      description:
        "The input message's (or POST /events request's) W3C tracestate, carried on when its traceparent was valid " +
        'and it is a valid tracestate (W3C grammar, each key once) of at most 512 characters.',
    }),
  })
  .meta({ id: 'OutcomeHeaders' });
export type OutcomeHeaders = z.infer<typeof outcomeHeadersSchema>;
