import {
  compatibilityPartitioner,
  Consumer,
  FetchIsolationLevels,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  type Message,
} from '@platformatic/kafka';
import type { RunningConsumer } from './kafkajs.js';

// The ceiling's forwarder (`forward` in ./kafkajs.ts) written with
// @platformatic/kafka instead, for `npm run bench:clients` only: the service
// keeps kafkajs behind src/kafka/port.ts, and this file is the
// benchmark's one import of the other client. Needs Node.js 22 or later.
//
// Matched to the kafkajs forwarder: a consumer group reading the topic from
// the beginning (read_committed, at most 1 MiB per partition and 10 MiB per
// fetch, 500 ms fetch wait), one produce request in flight per input
// partition carrying everything that partition delivered since the previous
// one (kafkajs: one per fetched batch, six partitions at once), acks from all
// in-sync replicas, no compression, keys placed by murmur2 as kafkajs does,
// and the partition's offset committed once its produce request is acknowledged.

/** Past this many received and not yet forwarded messages the stream is paused, so fetching cannot run far ahead. */
const PAUSE_AT = 20_000;
/**
 * At most this many bytes (keys, values and about 16 bytes of framing per
 * record) in one produce request: the output partition is the input's (same
 * keys, same partitioner), so a request becomes one record batch, which the
 * broker refuses past `max.message.bytes` (1 MiB by default). kafkajs's
 * batches stay under it because a fetch brings at most 1 MiB per partition.
 */
const MAX_REQUEST_BYTES = 1_000_000;
const FETCH = { maxBytesPerPartition: 1_048_576, maxBytes: 10_485_760, maxWaitTime: 500 };

export async function forwardWithPlatformatic(options: {
  brokers: readonly string[];
  groupId: string;
  from: string;
  to: string;
  clientId?: string;
  /** A produce, commit or fetch failed: the stream is destroyed and forwarding has stopped. */
  onFailure: (error: Error) => void;
}): Promise<RunningConsumer> {
  const { groupId, from, to } = options;
  const base = { clientId: options.clientId ?? 'contract-events-bench', bootstrapBrokers: [...options.brokers] };
  const producer = new Producer({
    ...base,
    acks: ProduceAcks.ALL,
    partitioner: compatibilityPartitioner,
    autocreateTopics: false,
  });
  const consumer = new Consumer({
    ...base,
    groupId,
    autocommit: false,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    ...FETCH,
  });
  const joinedAt = new Promise<number>((resolve) => consumer.once('consumer:group:join', () => resolve(Date.now())));
  // Committed offsets first, the topic's beginning for a new group: kafkajs's `fromBeginning: true`.
  const stream = await consumer.consume({
    topics: [from],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: MessagesStreamFallbackModes.EARLIEST,
  });

  /** Per input partition, the messages received and not yet handed to a produce request. */
  const pending = new Map<number, Message[]>();
  const sending = new Set<number>();
  let waiting = 0;
  let failure: Error | undefined;
  const fail = (error: unknown): void => {
    if (failure) return;
    failure = error instanceof Error ? error : new Error(String(error));
    options.onFailure(failure);
  };

  const drain = async (partition: number): Promise<void> => {
    sending.add(partition);
    try {
      for (let batch = take(partition); batch.length > 0; batch = take(partition)) {
        await producer.send({ messages: batch.map((m) => ({ topic: to, key: m.key, value: m.value })) });
        waiting -= batch.length;
        if (stream.isPaused() && waiting < PAUSE_AT) stream.resume();
        await batch.at(-1)!.commit();
      }
    } finally {
      sending.delete(partition);
    }
  };
  const take = (partition: number): Message[] => {
    const queue = pending.get(partition) ?? [];
    let [count, bytes] = [0, 0];
    for (const message of queue) {
      bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0) + 16;
      if (count > 0 && bytes > MAX_REQUEST_BYTES) break;
      count++;
    }
    return queue.splice(0, count);
  };

  stream.on('data', (message) => {
    const queue = pending.get(message.partition);
    if (queue) queue.push(message);
    else pending.set(message.partition, [message]);
    if (++waiting >= PAUSE_AT) stream.pause();
    if (!sending.has(message.partition)) {
      drain(message.partition).catch((error: unknown) => {
        fail(error);
        stream.destroy();
      });
    }
  });
  stream.on('error', fail);

  return {
    joinedAt,
    async stop() {
      await stream.close().catch(() => undefined);
      await consumer.close(true);
      await producer.close();
    },
  };
}
