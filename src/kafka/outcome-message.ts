import type { Outcome } from '../processing/outcome.js';
import type { OutcomeMessage } from '../schemas/outcome.js';
import { CLOUDEVENTS_SOURCE, CLOUDEVENTS_TYPES, type OutcomeHeaders } from '../schemas/outcome-headers.js';
import type { OutboundMessage } from './kafka-client.js';

/** An outcome as a Kafka message: keyed by contract, with its `event-id` and CloudEvents headers. */
export function toOutboundMessage({ key, message }: Outcome): OutboundMessage {
  return { key, value: JSON.stringify(message), headers: { ...outcomeHeaders(message) } };
}

/** The headers of one outcome message; every copy of an outcome gets the same. */
export function outcomeHeaders(message: OutcomeMessage): OutcomeHeaders {
  const { source } = message;
  const input = source.transport === 'kafka' ? `${source.topic}/${source.partition}/${source.offset}` : `http/${source.request_id}`;
  return {
    'event-id': message.event_id,
    'content-type': 'application/json',
    ce_specversion: '1.0',
    ce_id: message.revision === 0 ? input : `${input}/revision/${message.revision}`,
    ce_source: CLOUDEVENTS_SOURCE,
    ce_type: CLOUDEVENTS_TYPES[message.status],
    ce_time: message.processed_at,
  };
}
