import { KafkaError } from '../errors.js';
import type { BatchControl, KafkaClient, Publisher, TransactionalPublisher } from './port.js';
import { MIN_MAX_MESSAGE_BYTES } from './outcome-requests.js';
import { createSizedSender, publishInTransaction, publishInTurn, type SizedSender } from './sized-sender.js';
import type { TracedOutcome } from './outcome-message.js';

export type OutcomeDeliveryMode = 'transactional' | 'at-least-once';

export interface OutcomeDeliveryOptions {
  kafka: KafkaClient;
  mode: OutcomeDeliveryMode;
  groupId: string;
  eventsTopic: string;
  outcomesTopic: string;
  /** Transactional ids are `<prefix>-<events topic>-<partition>`. */
  transactionalIdPrefix: string;
  compression: 'none' | 'gzip';
  /** The outcome topic's `max.message.bytes`, read at start-up. */
  maxMessageBytes: number;
  /** Told about outcomes replaced by a compact version, which only happens to outcomes too large to publish. */
  onCompacted(eventIds: readonly string[]): void;
}

/** Publishes a chunk's outcomes and marks its input consumed, atomically in transactional mode. */
export interface OutcomeDelivery {
  readonly mode: OutcomeDeliveryMode;
  readonly outcomesTopic: string;
  /**
   * Called before this instance works on a partition: in transactional mode it
   * fences the partition's previous owner (a zombie after a rebalance or a
   * kill) and returns the offset committed once that owner can commit no more,
   * so nothing it finished is done again. -1 when nothing is committed or in
   * at-least-once mode (which does not fence).
   */
  claim(partition: number): Promise<bigint>;
  /** Publishes `outcomes` and commits the input through `lastOffset`; on failure nothing is committed. */
  deliver(
    partition: number,
    outcomes: readonly TracedOutcome[],
    lastOffset: string,
    control: BatchControl,
  ): Promise<void>;
  /** Closes the producers of partitions no longer assigned. */
  release(assigned: readonly number[]): Promise<void>;
  close(): Promise<void>;
}

export async function createOutcomeDelivery(options: OutcomeDeliveryOptions): Promise<OutcomeDelivery> {
  if (options.maxMessageBytes < MIN_MAX_MESSAGE_BYTES) {
    const reason = `The outcome topic ${options.outcomesTopic} allows ${options.maxMessageBytes} bytes per batch; the service needs max.message.bytes ≥ ${MIN_MAX_MESSAGE_BYTES}.`;
    // A setting to change, not an outage to wait out: start-up stops with this line.
    throw new KafkaError(reason, 'INVALID_CONFIG', false);
  }
  const send = createSizedSender(options.maxMessageBytes, options.onCompacted);
  return options.mode === 'transactional'
    ? transactionalDelivery(options, send)
    : await atLeastOnceDelivery(options, send);
}

/** One transactional producer per input partition, so the next owner of a partition fences the last one. */
function transactionalDelivery(options: OutcomeDeliveryOptions, send: SizedSender): OutcomeDelivery {
  const publishers = new Map<number, Promise<TransactionalPublisher>>();
  /** Partitions whose last transaction failed without our knowing whether it committed. */
  const uncertain = new Set<number>();
  const publisherFor = (partition: number): Promise<TransactionalPublisher> => {
    let publisher = publishers.get(partition);
    if (!publisher) {
      const transactionalId = `${options.transactionalIdPrefix}-${options.eventsTopic}-${partition}`;
      publisher = options.kafka.connectTransactionalPublisher(transactionalId, { compression: options.compression });
      publishers.set(partition, publisher);
      publisher.catch(() => publishers.delete(partition));
    }
    return publisher;
  };
  const discard = async (partition: number) => {
    const publisher = publishers.get(partition);
    publishers.delete(partition);
    await publisher?.then((p) => p.disconnect()).catch(() => undefined);
  };
  /** A fresh producer (which fences the old one and settles its open transaction), then what the group has committed. */
  const settle = async (partition: number): Promise<bigint> => {
    await discard(partition);
    await publisherFor(partition);
    const committed = await options.kafka.committedOffsets(options.groupId, options.eventsTopic);
    return committed.get(partition) ?? -1n;
  };
  return {
    mode: 'transactional',
    outcomesTopic: options.outcomesTopic,
    claim: settle,
    async deliver(partition, outcomes, lastOffset, control) {
      const nextOffset = BigInt(lastOffset) + 1n;
      const consumed = {
        groupId: options.groupId,
        topic: options.eventsTopic,
        partition,
        nextOffset: String(nextOffset),
      };
      try {
        // A commit can succeed although its answer was lost (the coordinator moved), and another
        // owner may have committed part of the chunk meanwhile: look before doing it again.
        if (uncertain.has(partition)) {
          const committed = await settle(partition);
          if (committed >= nextOffset) {
            uncertain.delete(partition);
            control.resolveThrough(lastOffset);
            return;
          }
          // What a message below `committed` caused (its revisions too) went out in that message's transaction.
          outcomes = outcomes.filter(
            ({ cause }) =>
              cause?.topic !== options.eventsTopic ||
              cause.partition !== partition ||
              BigInt(cause.offset) >= committed,
          );
        }
        uncertain.delete(partition);
        const publisher = await publisherFor(partition);
        uncertain.add(partition);
        await publishInTransaction(send, publisher, options.outcomesTopic, outcomes, consumed);
        uncertain.delete(partition);
      } catch (error) {
        // Aborted, fenced or unsure: the next attempt starts from a fresh producer.
        await discard(partition);
        throw error;
      }
      control.resolveThrough(lastOffset);
    },
    async release(assigned) {
      const keep = new Set(assigned);
      for (const partition of uncertain) if (!keep.has(partition)) uncertain.delete(partition);
      await Promise.all([...publishers.keys()].filter((partition) => !keep.has(partition)).map(discard));
    },
    async close() {
      await Promise.all([...publishers.keys()].map(discard));
    },
  };
}

/** Publishes, then commits the consumer's offsets: a crash in between answers those messages again. */
async function atLeastOnceDelivery(options: OutcomeDeliveryOptions, send: SizedSender): Promise<OutcomeDelivery> {
  const publisher: Publisher = await options.kafka.connectPublisher({ compression: options.compression });
  /** The chunk (by last offset) whose outcomes are out but whose offsets are not committed yet, per partition. */
  const published = new Map<number, string>();
  return {
    mode: 'at-least-once',
    outcomesTopic: options.outcomesTopic,
    claim: async () => -1n,
    async deliver(partition, outcomes, lastOffset, control) {
      // When only the commit failed, commit again rather than publish the chunk a second time.
      if (published.get(partition) !== lastOffset) {
        await publishInTurn(send, publisher, options.outcomesTopic, outcomes);
        published.set(partition, lastOffset);
      }
      await control.commitThrough(lastOffset);
      published.delete(partition);
    },
    release: async () => undefined,
    close: () => publisher.disconnect(),
  };
}
