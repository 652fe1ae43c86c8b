import type { KafkaError } from '../errors.js';
import type { ConsumedOffset, OutboundMessage, Publisher, TransactionalPublisher } from './port.js';
import { toKafkaError } from './kafka-errors.js';
import { MIN_MAX_MESSAGE_BYTES, toRequests } from './outcome-requests.js';
import type { TracedOutcome } from './outcome-message.js';

// How outcomes reach the outcome topic in requests it accepts, with or without a transaction:
// shared by the consumer's delivery and the outbox relay's.
/** Publishes outcomes through `publish`, in requests that fit the outcome topic. */
export type SizedSender = (
  publish: (requests: readonly (readonly OutboundMessage[])[]) => Promise<void>,
  outcomes: readonly TracedOutcome[],
) => Promise<void>;

/**
 * A sender that splits by size; a request the broker still refuses as too
 * large (it counted differently) is sent again in smaller ones, down to the
 * floor, where every outcome fits once compacted.
 */
export function createSizedSender(
  maxMessageBytes: number,
  onCompacted: (eventIds: readonly string[]) => void,
): SizedSender {
  let budget = maxMessageBytes;
  return async (publish, outcomes) => {
    for (;;) {
      const { requests, compacted } = toRequests(outcomes, budget);
      if (compacted.length > 0) onCompacted(compacted);
      try {
        await publish(requests);
        return;
      } catch (error) {
        const failure: KafkaError = toKafkaError(error);
        if (!failure.tooLarge || budget <= MIN_MAX_MESSAGE_BYTES) throw failure;
        budget = Math.max(MIN_MAX_MESSAGE_BYTES, Math.floor(budget / 2));
      }
    }
  };
}

/** Publishes `outcomes` and commits `consumed` in one Kafka transaction. */
export const publishInTransaction = (
  send: SizedSender,
  publisher: TransactionalPublisher,
  topic: string,
  outcomes: readonly TracedOutcome[],
  consumed: ConsumedOffset,
) => send((requests) => publisher.sendInTransaction(topic, requests, consumed), outcomes);

/** Publishes `outcomes` request after request, without a transaction. */
export const publishInTurn = (
  send: SizedSender,
  publisher: Publisher,
  topic: string,
  outcomes: readonly TracedOutcome[],
) =>
  send(async (requests) => {
    for (const messages of requests) await publisher.send(topic, messages);
  }, outcomes);
