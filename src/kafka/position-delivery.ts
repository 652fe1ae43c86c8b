import type { CommittedOffset, KafkaClient, Publisher, TransactionalPublisher } from './port.js';
import type { OutcomeDeliveryMode } from './outcome-delivery.js';
import { publishInTransaction, publishInTurn, type SizedSender } from './sized-sender.js';
import type { TracedOutcome } from './outcome-message.js';

export interface PositionDeliveryOptions {
  kafka: KafkaClient;
  mode: OutcomeDeliveryMode;
  send: SizedSender;
  outcomesTopic: string;
  /**
   * Where the position is kept: the committed offset of this group on
   * partition 0 of the outcome topic (for the relay, the id of the next outbox
   * row to publish, and its metadata the uid of the row before it), written in
   * the same Kafka transaction as the outcomes.
   */
  positionGroupId: string;
  transactionalId: string;
  compression: 'none' | 'gzip';
}

/**
 * Outcome delivery for a publisher that keeps its own position (the outbox
 * relay's) instead of consuming a topic: in transactional mode the position
 * commits in the outcomes' transaction; at least once it keeps none.
 */
export interface PositionDelivery {
  /**
   * Connects the producer unless it is (in transactional mode that fences an
   * older one with the same transactional id, so nothing commits behind what
   * is read next), then reads the committed position: null when the mode keeps none.
   */
  claim(): Promise<CommittedOffset | null>;
  /** Publishes `outcomes`, with the position moved to `through` in transactional mode. */
  deliver(outcomes: readonly TracedOutcome[], through: { nextOffset: bigint; metadata: string }): Promise<void>;
  /** Drops the producer: the next claim starts a fresh one, which also ends anything the old one left open. */
  reset(): Promise<void>;
}

export function createPositionDelivery(options: PositionDeliveryOptions): PositionDelivery {
  const { kafka, send, outcomesTopic, compression } = options;
  if (options.mode === 'at-least-once') {
    const producer = lazily(() => kafka.connectPublisher({ compression }));
    return {
      claim: async () => {
        await producer.get();
        return null;
      },
      deliver: async (outcomes) => publishInTurn(send, await producer.get(), outcomesTopic, outcomes),
      reset: producer.reset,
    };
  }
  const producer = lazily(() => kafka.connectTransactionalPublisher(options.transactionalId, { compression }));
  return {
    async claim() {
      await producer.get();
      return kafka.committedOffset(options.positionGroupId, outcomesTopic, 0);
    },
    async deliver(outcomes, through) {
      const consumed = {
        groupId: options.positionGroupId,
        topic: outcomesTopic,
        partition: 0,
        nextOffset: String(through.nextOffset),
        metadata: through.metadata,
      };
      await publishInTransaction(send, await producer.get(), outcomesTopic, outcomes, consumed);
    },
    reset: producer.reset,
  };
}

/** A producer connected on first use and kept until reset. */
function lazily<P extends Publisher | TransactionalPublisher>(connect: () => Promise<P>) {
  let producer: Promise<P> | undefined;
  return {
    get: () => (producer ??= connect()),
    async reset() {
      const stale = producer;
      producer = undefined;
      await stale?.then((p) => p.disconnect()).catch(() => undefined);
    },
  };
}
