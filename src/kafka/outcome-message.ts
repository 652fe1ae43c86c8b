import { outcomeIdentity, type Outcome } from '../processing/outcome.js';
import type { OutcomeMessage, SourcePosition } from '../schemas/outcome.js';
import { CLOUDEVENTS_SOURCE, CLOUDEVENTS_TYPES, type OutcomeHeaders } from '../schemas/outcome-headers.js';
import type { OutboundMessage } from './port.js';
import { outcomeTraceContext, type TraceContext } from '../observability/trace-context.js';

/**
 * An outcome with the trace context it continues: that of the Kafka message or
 * HTTP request it answers. An outcome of a consumed chunk also names its
 * `cause`, the message whose processing made it: for a revision that is the
 * late message, not the revised event's own (its `source`).
 */
export type TracedOutcome = Outcome & { trace?: TraceContext; cause?: SourcePosition };

/** An outcome as a Kafka message: keyed by contract, with its `event-id`, CloudEvents and trace headers. */
export function toOutboundMessage({ key, message, trace }: TracedOutcome): OutboundMessage {
  return { key, value: JSON.stringify(message), headers: outcomeHeaders(message, trace) };
}

/** The headers of one outcome message; every copy of an outcome gets the same. Without `trace`, a new trace. */
export function outcomeHeaders(message: OutcomeMessage, trace?: TraceContext): OutcomeHeaders {
  const identity = outcomeIdentity(message);
  const { traceparent, tracestate } = trace ?? outcomeTraceContext(identity);
  return {
    'event-id': message.event_id,
    'content-type': 'application/json',
    ce_specversion: '1.0',
    ce_id: identity,
    ce_source: CLOUDEVENTS_SOURCE,
    ce_type: CLOUDEVENTS_TYPES[message.status],
    ce_time: message.processed_at,
    traceparent,
    ...(tracestate === undefined ? {} : { tracestate }),
  };
}
