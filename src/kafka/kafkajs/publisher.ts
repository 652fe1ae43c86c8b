import type { Kafka, Producer } from 'kafkajs';
import { toKafkaError } from '../kafka-errors.js';
import type { Publisher } from '../port.js';
import { createPartitionedSender, createPartitioner, type PartitionsOf } from './partitioned-sender.js';

/** A producer outside transactions; every send is acknowledged by all in-sync replicas (see the partitioned sender). */
export async function connectPublisher(
  kafka: Kafka,
  partitionsOf: PartitionsOf,
  compression: 'none' | 'gzip',
): Promise<Publisher> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner });
  await producer.connect().catch((error: unknown) => Promise.reject(toKafkaError(error)));
  const sendPartitioned = createPartitionedSender(partitionsOf, compression);
  return {
    send: (topic, messages) => sendPartitioned((request) => producer.send(request), topic, messages),
    disconnect: () => producer.disconnect(),
  };
}
