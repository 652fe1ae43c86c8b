import {
  CompressionTypes,
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import type { Logger } from '../observability/logger.js';

// The only module that imports kafkajs (unmaintained upstream): everything
// else sees the few operations below, so a change of client stays here.

export interface InboundMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  /** As the client delivers them; `headerText` reads one as text. */
  headers?: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;
}

/** One header of a consumed message as text (repeated headers joined by commas). */
export function headerText(message: InboundMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String).join(',');
}

export interface InboundBatch {
  topic: string;
  partition: number;
  /** Offset of the next message the broker will write (for lag). */
  highWatermark: string;
  messages: InboundMessage[];
}

export interface BatchControl {
  isRunning(): boolean;
  /** True once a seek or rebalance made the rest of this batch someone else's business. */
  isStale(): boolean;
  heartbeat(): Promise<void>;
  /** Marks every message up to `offset` done and commits that to the group now. */
  commitThrough(offset: string): Promise<void>;
}

export interface OutboundMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  /** Topic-level settings, e.g. `max.message.bytes`. */
  config?: Record<string, string>;
}

export interface Publisher {
  send(topic: string, messages: readonly OutboundMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface SubscriberEvents {
  /** Joined (or rejoined) the group; `partitions` are the ones assigned to this member. */
  onGroupJoin?(partitions: number[]): void;
  onCrash?(error: Error, willRestart: boolean): void;
  onStop?(): void;
}

export interface SubscriberOptions extends SubscriberEvents {
  groupId: string;
  topic: string;
  concurrency: number;
  /** How long the group waits for a silent member (e.g. one killed) before it moves its partitions. */
  sessionTimeoutMs?: number;
}

export interface Subscriber {
  start(onBatch: (batch: InboundBatch, control: BatchControl) => Promise<void>): Promise<void>;
  /** Stops fetching, waits for the batch in hand, and leaves the group. */
  stop(): Promise<void>;
}

export interface KafkaClient {
  listTopics(): Promise<string[]>;
  /** The group's committed offset (next offset to read) per partition; -1 where none. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>>;
  /** The high watermark (offset of the next message written) per partition. */
  endOffsets(topic: string): Promise<Map<number, bigint>>;
  /** Creates the missing topics; returns the names it created. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<string[]>;
  connectPublisher(options?: { compression?: 'none' | 'gzip' }): Promise<Publisher>;
  createSubscriber(options: SubscriberOptions): Subscriber;
}

export interface KafkaClientOptions {
  clientId: string;
  brokers: string[];
  logger: Logger;
  /** For probes: one short attempt instead of retrying. */
  failFast?: boolean;
}

export function createKafkaClient(options: KafkaClientOptions): KafkaClient {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: KafkaLogLevel.INFO,
    logCreator: () => (entry) => logKafkaEntry(options.logger, entry),
    ...(options.failFast
      ? { connectionTimeout: 3_000, requestTimeout: 5_000, retry: { retries: 0 } }
      : { retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10 } }),
  });
  return {
    listTopics: () => withAdmin(kafka, (admin) => admin.listTopics()),
    committedOffsets: (groupId, topic) =>
      withAdmin(kafka, async (admin) => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return new Map((offsets?.partitions ?? []).map(({ partition, offset }) => [partition, BigInt(offset)]));
      }),
    endOffsets: (topic) =>
      withAdmin(kafka, async (admin) => new Map((await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, BigInt(high)]))),
    ensureTopics: (topics) => ensureTopics(kafka, topics),
    connectPublisher: (publisherOptions) => connectPublisher(kafka, publisherOptions?.compression ?? 'none'),
    createSubscriber: (subscription) => createSubscriber(kafka, subscription),
  };
}

async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await work(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function ensureTopics(kafka: Kafka, topics: readonly TopicSpec[]): Promise<string[]> {
  return withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor,
          configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    return missing.map((spec) => spec.topic);
  });
}

async function connectPublisher(kafka: Kafka, compression: 'none' | 'gzip'): Promise<Publisher> {
  // The default partitioner hashes keys like the Java client (murmur2), so a
  // contract's outcomes share a partition with any Java producer's.
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return {
    async send(topic, messages) {
      if (messages.length === 0) return;
      await producer.send({
        topic,
        acks: -1,
        compression: compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        // Our outbound shape is kafkajs's own message shape: no copy per message.
        messages: [...messages],
      });
    },
    disconnect: () => producer.disconnect(),
  };
}

function createSubscriber(kafka: Kafka, options: SubscriberOptions): Subscriber {
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
    // always rejoin: the service must continue by itself when Kafka returns.
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10, restartOnFailure: async () => true },
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => options.onGroupJoin?.(payload.memberAssignment[options.topic] ?? []));
  consumer.on(consumer.events.CRASH, ({ payload }) => options.onCrash?.(payload.error, payload.restart));
  consumer.on(consumer.events.STOP, () => options.onStop?.());
  return {
    async start(onBatch) {
      await consumer.connect();
      await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
      await consumer.run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.concurrency,
        eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale }) => {
          await onBatch(
            // kafkajs messages already have the InboundMessage shape: no copy per message.
            { topic: batch.topic, partition: batch.partition, highWatermark: batch.highWatermark, messages: batch.messages },
            {
              isRunning,
              isStale,
              heartbeat,
              async commitThrough(offset) {
                resolveOffset(offset);
                await commitOffsetsIfNecessary(uncommittedOffsets());
              },
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

function logKafkaEntry(logger: Logger, { level, log }: LogEntry): void {
  const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
  const child = { kafka: fields };
  if (level === KafkaLogLevel.ERROR) logger.error(child, `kafka: ${message}`);
  else if (level === KafkaLogLevel.WARN) logger.warn(child, `kafka: ${message}`);
  else if (level === KafkaLogLevel.INFO) logger.info(child, `kafka: ${message}`);
  else logger.debug(child, `kafka: ${message}`);
}
