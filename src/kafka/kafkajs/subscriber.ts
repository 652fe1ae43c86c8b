import type { Consumer, Kafka } from 'kafkajs';
import { classifyCrash, toKafkaError } from '../kafka-errors.js';
import type { Subscriber, SubscriberOptions } from '../port.js';

/** A consumer group member handing out batches with the control the consumer loop needs. */
export function createSubscriber(kafka: Kafka, options: SubscriberOptions): Subscriber {
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout,
    heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
    maxBytesPerPartition: 1_048_576,
    // An idle fetch returns after this long; it also bounds how long a stop waits.
    maxWaitTimeInMs: 1_000,
    // After a crash (e.g. the broker went away for longer than the retries),
    // rejoin: the service must continue by itself when Kafka returns. A
    // failure that no retry can fix stops the consumer instead of looping.
    retry: {
      initialRetryTime: 300,
      maxRetryTime: 10_000,
      retries: 10,
      restartOnFailure: async (error) => classifyCrash(error).retriable,
    },
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
    options.onGroupJoin?.(payload.memberAssignment[options.topic] ?? []),
  );
  consumer.on(consumer.events.CRASH, ({ payload }) => options.onCrash?.(payload.error, payload.restart));
  consumer.on(consumer.events.STOP, () => options.onStop?.());
  return {
    async start(onBatch) {
      await consumer.connect();
      await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
      await consumer.run({
        autoCommit: options.autoCommit ?? true,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.concurrency,
        eachBatch: async ({
          batch,
          resolveOffset,
          heartbeat,
          commitOffsetsIfNecessary,
          uncommittedOffsets,
          isRunning,
          isStale,
        }) => {
          await onBatch(
            // kafkajs messages already have the InboundMessage shape: no copy per message.
            {
              topic: batch.topic,
              partition: batch.partition,
              highWatermark: batch.highWatermark,
              messages: batch.messages,
            },
            {
              isRunning,
              isStale,
              heartbeat,
              async commitThrough(offset) {
                resolveOffset(offset);
                await commitOffsetsIfNecessary(uncommittedOffsets()).catch((error: unknown) =>
                  Promise.reject(toKafkaError(error)),
                );
              },
              resolveThrough: resolveOffset,
            },
          );
        },
      });
    },
    async stop() {
      await consumer.disconnect();
    },
  };
}
