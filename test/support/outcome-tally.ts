import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from '../../src/kafka/kafkajs/patched.js';

/**
 * Counts the outcomes on a topic as they arrive, read from its beginning, by
 * tag: the part of their `event-id` header before the first ':'.
 */
export interface OutcomeTally {
  /** Resolves once `count` outcomes tagged `tag` were read; rejects after `timeoutMs`. */
  reach(tag: string, count: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startOutcomeTally(brokers: string, topic: string): Promise<OutcomeTally> {
  const kafka = new Kafka({ clientId: 'test-outcome-tally', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `test-tally-${randomUUID()}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
  });
  const counts = new Map<string, number>();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        const tag = String(message.headers?.['event-id'] ?? '').split(':')[0]!;
        counts.set(tag, (counts.get(tag) ?? 0) + 1);
      }
    },
  });
  return {
    async reach(tag, count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while ((counts.get(tag) ?? 0) < count) {
        if (Date.now() > deadline)
          throw new Error(`${counts.get(tag) ?? 0} of ${count} outcomes tagged ${tag} read after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: () => consumer.disconnect(),
  };
}
