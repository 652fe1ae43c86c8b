import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type Producer } from 'kafkajs';

// The benchmark's ONE direct kafkajs import. The service reaches Kafka only
// through src/kafka/kafka-client.ts; the baselines (ceiling, naive) are
// deliberately other implementations, and the harness needs what that port
// hides on purpose (message timestamps, high watermarks). Everything else in
// bench/ talks to Kafka through the small typed surface below.

/** A message to produce: key and UTF-8 value. */
export interface BenchMessage {
  key: string | null;
  value: string;
  headers?: Record<string, string>;
}

/** A consumed message with its position and its producer timestamp (epoch ms). */
export interface TimedRecord {
  partition: number;
  offset: string;
  timestamp: number;
  value: Buffer | null;
}

/** A consumed message handed to a baseline's per-message handler. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export interface BenchProducer {
  /** One awaited produce request (acks from all in-sync replicas). */
  send(topic: string, messages: readonly BenchMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** A running consumer; `joinedAt` resolves with the wall-clock time it joined its group. */
export interface RunningConsumer {
  joinedAt: Promise<number>;
  stop(): Promise<void>;
}

export interface BenchKafka {
  createTopics(topics: readonly string[], partitions: number): Promise<void>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** Messages in the topic: the sum of (high - low) watermarks. */
  topicSize(topic: string): Promise<number>;
  connectProducer(): Promise<BenchProducer>;
  /** Reads the topic from the beginning until `expected` messages arrived (or `timeoutMs`). */
  readAll(topic: string, expected: number, timeoutMs: number): Promise<TimedRecord[]>;
  /** Ceiling: forwards every message of `from` to `to`, one produce request per fetched batch, no database. */
  forward(options: { groupId: string; from: string; to: string; concurrency: number }): Promise<RunningConsumer>;
  /** Naive baseline: `eachMessage`, the handler awaited per message. */
  eachMessage(options: { groupId: string; topic: string; concurrency: number; handle: (message: ConsumedMessage) => Promise<void> }): Promise<RunningConsumer>;
}

export function createBenchKafka(brokers: readonly string[], clientId = 'contract-events-bench'): BenchKafka {
  // Silent: kafkajs logs retriable start-up errors (coordinator not yet available); real failures reject the calls.
  const kafka = new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: 8 } });
  // Same partitioner as the service (murmur2, like the Java client), so keys land alike.
  const producerOptions = { allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner };

  const withAdmin = async <T>(work: (admin: Admin) => Promise<T>): Promise<T> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  };

  const consumer = (groupId: string): Consumer =>
    kafka.consumer({ groupId, allowAutoTopicCreation: false, maxBytesPerPartition: 1_048_576, maxWaitTimeInMs: 500 });

  const joined = (c: Consumer): Promise<number> => new Promise((resolve) => c.on(c.events.GROUP_JOIN, () => resolve(Date.now())));

  return {
    createTopics: (topics, partitions) =>
      withAdmin(async (admin) => {
        await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
      }),
    deleteTopics: (topics) => withAdmin((admin) => admin.deleteTopics({ topics: [...topics] })),
    topicSize: (topic) =>
      withAdmin(async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)),

    async connectProducer() {
      const producer: Producer = kafka.producer(producerOptions);
      await producer.connect();
      return {
        async send(topic, messages) {
          await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
        },
        disconnect: () => producer.disconnect(),
      };
    },

    async readAll(topic, expected, timeoutMs) {
      const records: TimedRecord[] = [];
      if (expected === 0) return records;
      const reader = consumer(`bench-reader-${process.hrtime.bigint()}`);
      await reader.connect();
      await reader.subscribe({ topics: [topic], fromBeginning: true });
      let done: () => void = () => undefined;
      const complete = new Promise<void>((resolve) => (done = resolve));
      await reader.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            records.push({ partition: batch.partition, offset: m.offset, timestamp: Number(m.timestamp), value: m.value });
          }
          if (records.length >= expected) done();
        },
      });
      const timer = setTimeout(done, timeoutMs);
      await complete;
      clearTimeout(timer);
      await reader.disconnect();
      return records;
    },

    async forward({ groupId, from, to, concurrency }) {
      const producer = kafka.producer(producerOptions);
      await producer.connect();
      const c = consumer(groupId);
      const joinedAt = joined(c);
      await c.connect();
      await c.subscribe({ topics: [from], fromBeginning: true });
      // No compression: the ceiling is the cost of moving the bytes, nothing more.
      await c.run({
        partitionsConsumedConcurrently: concurrency,
        eachBatch: async ({ batch }) => {
          await producer.send({ topic: to, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
        },
      });
      return {
        joinedAt,
        async stop() {
          await c.disconnect();
          await producer.disconnect();
        },
      };
    },

    async eachMessage({ groupId, topic, concurrency, handle }) {
      const c = consumer(groupId);
      const joinedAt = joined(c);
      await c.connect();
      await c.subscribe({ topics: [topic], fromBeginning: true });
      await c.run({
        partitionsConsumedConcurrently: concurrency,
        eachMessage: ({ topic: t, partition, message }) => handle({ topic: t, partition, offset: message.offset, key: message.key, value: message.value }),
      });
      return { joinedAt, stop: () => c.disconnect() };
    },
  };
}
