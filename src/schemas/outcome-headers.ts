import { z } from 'zod';
import type { OutcomeStatus } from './outcome.js';

/**
 * A longer tracestate is not carried onto an outcome: W3C asks to pass on at
 * least 512 characters, and an outcome must stay small enough for its topic
 * whatever a producer sends.
 */
export const MAX_TRACESTATE_LENGTH = 512;

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
    'content-type': z.literal('application/json').meta({ description: 'The payload is JSON (the CloudEvent\'s `datacontenttype`).' }),
    ce_specversion: z.literal('1.0').meta({ description: 'CloudEvents specification version.' }),
    ce_id: z.string().meta({
      description:
        'The outcome\'s identity, the same on every copy of it: `<topic>/<partition>/<offset>` of the input message ' +
        '(`http/<request id>` for POST /events), with `/revision/<n>` appended for a revised decision.',
    }),
    ce_source: z.literal(CLOUDEVENTS_SOURCE).meta({ description: 'This service.' }),
    ce_type: z.enum([CLOUDEVENTS_TYPES.accepted, CLOUDEVENTS_TYPES.rejected, CLOUDEVENTS_TYPES.error]).meta({ description: 'One type per outcome status.' }),
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
    tracestate: z
      .string()
      .max(MAX_TRACESTATE_LENGTH)
      .optional()
      .meta({ description: "The input message's (or POST /events request's) W3C tracestate, carried on when its traceparent was valid and it has at most 512 characters." }),
  })
  .meta({ id: 'OutcomeHeaders' });
export type OutcomeHeaders = z.infer<typeof outcomeHeadersSchema>;
