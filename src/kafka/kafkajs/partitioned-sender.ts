import type { Kafka, Message, PartitionMetadata, ProducerRecord } from 'kafkajs';
import { toKafkaError } from '../kafka-errors.js';
import type { OutboundMessage } from '../port.js';
import { withAdmin } from './admin.js';
import { CompressionTypes, Partitioners } from './patched.js';

// The default partitioner hashes keys like the Java client (murmur2), so a
// contract's outcomes share a partition with any Java producer's.
export const createPartitioner = Partitioners.DefaultPartitioner;

type Send = (request: ProducerRecord) => Promise<unknown>;

export type PartitionsOf = (topic: string) => Promise<PartitionMetadata[]>;

/** Partition metadata per topic, read once per client and shared by all its producers (a failed read is tried again). */
export function cachedPartitions(kafka: Kafka): PartitionsOf {
  const partitions = new Map<string, Promise<PartitionMetadata[]>>();
  return (topic) => {
    let metadata = partitions.get(topic);
    if (!metadata) {
      metadata = withAdmin(
        kafka,
        async (admin) => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? [],
      );
      partitions.set(topic, metadata);
      metadata.catch(() => partitions.delete(topic));
    }
    return metadata;
  };
}

/**
 * Sends messages one partition per request. kafkajs retries a failed send only
 * towards brokers that have not answered it yet, so when a partition's leader
 * moves to a broker that already took the rest of a multi-partition send, that
 * partition's records are silently dropped; a send that names one partition
 * is retried in full wherever its leader is.
 */
export function createPartitionedSender(partitionsOf: PartitionsOf, compression: 'none' | 'gzip') {
  const partitioner = createPartitioner();
  return async (send: Send, topic: string, messages: readonly OutboundMessage[]): Promise<void> => {
    if (messages.length === 0) return;
    const partitions = await partitionsOf(topic);
    if (partitions.length === 0)
      throw toKafkaError(new Error(`Topic ${topic} has no partitions in the cluster metadata.`));
    const byPartition = new Map<number, Message[]>();
    for (const message of messages) {
      const partition = partitioner({ topic, partitionMetadata: partitions, message: message as Message });
      const group = byPartition.get(partition);
      const placed: Message = { ...message, partition };
      if (group) group.push(placed);
      else byPartition.set(partition, [placed]);
    }
    const compressionType = compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    for (const group of byPartition.values()) {
      await send({ topic, acks: -1, compression: compressionType, messages: group }).catch((error: unknown) =>
        Promise.reject(toKafkaError(error)),
      );
    }
  };
}
