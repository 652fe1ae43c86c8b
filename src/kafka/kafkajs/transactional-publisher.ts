import type { Kafka, PartitionOffset, Producer } from 'kafkajs';
import { transactionalError } from '../kafka-errors.js';
import type { TransactionalPublisher } from '../port.js';
import { whileMarkersPending } from './markers-pending.js';
import { createPartitionedSender, createPartitioner, type PartitionsOf } from './partitioned-sender.js';

/**
 * A transaction that starts right after the previous one committed finds the
 * coordinator still writing that one's commit markers and is answered
 * CONCURRENT_TRANSACTIONS, typically for a few milliseconds. kafkajs retries
 * it like any error, after 300 ms by default, so such a transaction took
 * 300 ms instead of tens (npm run bench:transactions). The Java client
 * retries this case after 20 ms; here every retry of the producer starts at
 * 10 ms and still backs off exponentially to the client's cap. Unlimited
 * retries, as kafkajs requires of an idempotent producer.
 */
const TRANSACTIONAL_RETRY = { initialRetryTime: 10, retries: Number.MAX_SAFE_INTEGER };

export async function connectTransactionalPublisher(
  kafka: Kafka,
  partitionsOf: PartitionsOf,
  { transactionalId, principal }: { transactionalId: string; principal: string },
  compression: 'none' | 'gzip',
): Promise<TransactionalPublisher> {
  const failure = (error: unknown) => transactionalError(error, transactionalId, principal);
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner,
    transactionalId,
    idempotent: true,
    // Produce requests stay one at a time (kafkajs's idempotent producer holds a lock per broker while
    // it sends one); the limit lets the offset requests below go out alongside them.
    maxInFlightRequests: 5,
    retry: TRANSACTIONAL_RETRY,
  });
  try {
    await producer.connect();
    // kafkajs initialises the producer id on the first transaction; doing it
    // now fences an older owner of this id before we read what it committed.
    const probe = await producer.transaction();
    await probe.abort();
  } catch (error) {
    await producer.disconnect().catch(() => undefined);
    throw failure(error);
  }
  const sendPartitioned = createPartitionedSender(partitionsOf, compression);
  return {
    async sendInTransaction(topic, requests, consumed) {
      const transaction = await producer.transaction().catch((error: unknown) => Promise.reject(failure(error)));
      try {
        // kafkajs sends a partition's metadata with its offset, although its types leave it out.
        const offset: PartitionOffset & { metadata: string | null } = {
          partition: consumed.partition,
          offset: consumed.nextOffset,
          metadata: consumed.metadata ?? null,
        };
        // The offsets (AddOffsetsToTxn, TxnOffsetCommit) alongside the outcomes (AddPartitionsToTxn,
        // Produce), not after them: the client waits for three rounds of answers instead of five (a
        // broker still handles one connection's requests in turn). Both settle before the commit, or
        // before the abort when either failed.
        const settled = await Promise.allSettled([
          (async () => {
            for (const messages of requests)
              await sendPartitioned((request) => transaction.send(request), topic, messages);
          })(),
          whileMarkersPending(() =>
            transaction.sendOffsets({
              consumerGroupId: consumed.groupId,
              topics: [{ topic: consumed.topic, partitions: [offset] }],
            }),
          ),
        ]);
        const failed = settled.find((outcome) => outcome.status === 'rejected');
        if (failed) throw failed.reason;
        await transaction.commit();
      } catch (error) {
        if (transaction.isActive()) await transaction.abort().catch(() => undefined);
        throw failure(error);
      }
    },
    disconnect: () => producer.disconnect(),
  };
}
