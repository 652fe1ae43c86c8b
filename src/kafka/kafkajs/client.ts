import type { KafkaClient, KafkaClientOptions } from '../port.js';
import { adminOperations } from './admin.js';
import { logKafkaEntry } from './log-filter.js';
import { cachedPartitions } from './partitioned-sender.js';
import { Kafka, logLevel } from './patched.js';
import { connectPublisher } from './publisher.js';
import { createProbe } from './readiness.js';
import { kafkajsSecurity } from './security.js';
import { createSubscriber } from './subscriber.js';
import { connectTransactionalPublisher } from './transactional-publisher.js';

// The port (../port.ts) over kafkajs, which is unmaintained upstream: a change
// of client stays in this folder.

export function createKafkaClient(options: KafkaClientOptions): KafkaClient {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ...kafkajsSecurity(options.security),
    logLevel: logLevel.INFO,
    logCreator: () => (entry) => logKafkaEntry(options.logger, entry, options.failFast ?? false),
    ...(options.failFast
      ? { connectionTimeout: 3_000, requestTimeout: 5_000, retry: { retries: 0 } }
      : { retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10 } }),
  });
  const partitionsOf = cachedPartitions(kafka);
  // As the broker names it by default; a TLS client's principal is its certificate's, unknown here.
  const principal = options.security?.sasl
    ? `principal User:${options.security.sasl.username}`
    : "the client's principal";
  return {
    ...adminOperations(kafka),
    connectPublisher: (publisherOptions) =>
      connectPublisher(kafka, partitionsOf, publisherOptions?.compression ?? 'none'),
    connectTransactionalPublisher: (transactionalId, publisherOptions) =>
      connectTransactionalPublisher(
        kafka,
        partitionsOf,
        { transactionalId, principal },
        publisherOptions?.compression ?? 'none',
      ),
    createSubscriber: (subscription) => createSubscriber(kafka, subscription),
    createProbe: () => createProbe(kafka),
  };
}
