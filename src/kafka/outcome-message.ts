import type { Outcome } from '../processing/outcome.js';
import type { OutboundMessage } from './kafka-client.js';

/** An outcome as a Kafka message: keyed by contract, `event-id` header. */
export function toOutboundMessage({ key, message }: Outcome): OutboundMessage {
  return { key, value: JSON.stringify(message), headers: { 'event-id': message.event_id, 'content-type': 'application/json' } };
}
