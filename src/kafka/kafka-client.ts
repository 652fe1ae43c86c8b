// Before kafkajs: read_committed must not hand out records of aborted transactions.
import './kafkajs-read-committed.js';
// Its request queue must not set negative timers (a warning on Node 23+).
import './kafkajs-timeout-fix.js';
// Records are encoded without kafkajs's per-record and per-header allocations.
import './kafkajs-record-encoder.js';
// A coordinator lookup refused for want of an ACL must say so, not look like an outage.
import './kafkajs-refusal-fix.js';
import {
  CompressionTypes,
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type KafkaConfig,
  type LogEntry,
  type Message,
  type PartitionMetadata,
  type PartitionOffset,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import type { Logger } from '../observability/logger.js';
import { classifyCrash, toKafkaError, transactionalError } from './kafka-errors.js';
import type {
  KafkaClient,
  KafkaClientOptions,
  KafkaProbe,
  KafkaSecurity,
  Publisher,
  Subscriber,
  SubscriberOptions,
  TopicSpec,
  TransactionalPublisher,
  OutboundMessage,
} from './port.js';

export function createKafkaClient(options: KafkaClientOptions): KafkaClient {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ...kafkajsSecurity(options.security),
    logLevel: KafkaLogLevel.INFO,
    logCreator: () => (entry) => logKafkaEntry(options.logger, entry, options.failFast ?? false),
    ...(options.failFast
      ? { connectionTimeout: 3_000, requestTimeout: 5_000, retry: { retries: 0 } }
      : { retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10 } }),
  });
  const partitionsOf = cachedPartitions(kafka);
  // As the broker names it by default; a TLS client's principal is its certificate's, unknown here.
  const principal = options.security?.sasl ? `principal User:${options.security.sasl.username}` : "the client's principal";
  return {
    listTopics: () => withAdmin(kafka, (admin) => admin.listTopics()),
    topicMaxMessageBytes: (topic) => withAdmin(kafka, (admin) => topicMaxMessageBytes(admin, topic)),
    committedOffsets: (groupId, topic) =>
      withAdmin(kafka, async (admin) => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return new Map((offsets?.partitions ?? []).map(({ partition, offset }) => [partition, BigInt(offset)]));
      }),
    committedOffset: (groupId, topic, partition) =>
      withAdmin(kafka, async (admin) => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const committed = offsets?.partitions.find((p) => p.partition === partition);
        return { nextOffset: BigInt(committed?.offset ?? -1), metadata: committed?.metadata ?? null };
      }),
    endOffsets: (topic) =>
      withAdmin(kafka, async (admin) => new Map((await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, BigInt(high)]))),
    ensureTopics: (topics) => ensureTopics(kafka, topics),
    connectPublisher: (publisherOptions) => connectPublisher(kafka, partitionsOf, publisherOptions?.compression ?? 'none'),
    connectTransactionalPublisher: (transactionalId, publisherOptions) =>
      connectTransactionalPublisher(kafka, partitionsOf, { transactionalId, principal }, publisherOptions?.compression ?? 'none'),
    createSubscriber: (subscription) => createSubscriber(kafka, subscription),
    createProbe: () => createProbe(kafka),
  };
}

/** The kafkajs form of our security settings (exported for the benchmark's own kafkajs baselines). */
export function kafkajsSecurity(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { ssl, sasl } = security ?? {};
  return {
    ...(ssl && { ssl: { ...ssl, ...(ssl.ca !== undefined && { ca: [ssl.ca] }) } }),
    // kafkajs's SASL options are a union per mechanism; each of ours takes a username and password alike.
    ...(sasl && { sasl: sasl as SASLOptions }),
  };
}

async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await work(admin);
  } catch (error) {
    throw toKafkaError(error);
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

const TOPIC_RESOURCE = 2; // kafkajs ConfigResourceTypes.TOPIC

async function topicMaxMessageBytes(admin: Admin, topic: string): Promise<number> {
  const described = await admin.describeConfigs({ resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['max.message.bytes'] }], includeSynonyms: false });
  const value = Number(described.resources[0]?.configEntries.find((entry) => entry.configName === 'max.message.bytes')?.configValue);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`Topic ${topic} reports no usable max.message.bytes.`);
  return value;
}

// The default partitioner hashes keys like the Java client (murmur2), so a
// contract's outcomes share a partition with any Java producer's.
const createPartitioner = Partitioners.DefaultPartitioner;

type Send = (request: { topic: string; acks: number; compression: CompressionTypes; messages: Message[] }) => Promise<unknown>;

type PartitionsOf = (topic: string) => Promise<PartitionMetadata[]>;

/** Partition metadata per topic, read once per client and shared by all its producers (a failed read is tried again). */
function cachedPartitions(kafka: Kafka): PartitionsOf {
  const partitions = new Map<string, Promise<PartitionMetadata[]>>();
  return (topic) => {
    let metadata = partitions.get(topic);
    if (!metadata) {
      metadata = withAdmin(kafka, async (admin) => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? []);
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
function createPartitionedSender(partitionsOf: PartitionsOf, compression: 'none' | 'gzip') {
  const partitioner = createPartitioner();
  return async (send: Send, topic: string, messages: readonly OutboundMessage[]): Promise<void> => {
    if (messages.length === 0) return;
    const partitions = await partitionsOf(topic);
    if (partitions.length === 0) throw toKafkaError(new Error(`Topic ${topic} has no partitions in the cluster metadata.`));
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
      await send({ topic, acks: -1, compression: compressionType, messages: group }).catch((error: unknown) => Promise.reject(toKafkaError(error)));
    }
  };
}

async function connectPublisher(kafka: Kafka, partitionsOf: PartitionsOf, compression: 'none' | 'gzip'): Promise<Publisher> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner });
  await producer.connect().catch((error: unknown) => Promise.reject(toKafkaError(error)));
  const sendPartitioned = createPartitionedSender(partitionsOf, compression);
  return {
    send: (topic, messages) => sendPartitioned((request) => producer.send(request), topic, messages),
    disconnect: () => producer.disconnect(),
  };
}

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

async function connectTransactionalPublisher(
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
    maxInFlightRequests: 1,
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
        for (const messages of requests) await sendPartitioned((request) => transaction.send(request), topic, messages);
        // kafkajs sends a partition's metadata with its offset, although its types leave it out.
        const offset: PartitionOffset & { metadata: string | null } = { partition: consumed.partition, offset: consumed.nextOffset, metadata: consumed.metadata ?? null };
        await transaction.sendOffsets({ consumerGroupId: consumed.groupId, topics: [{ topic: consumed.topic, partitions: [offset] }] });
        await transaction.commit();
      } catch (error) {
        if (transaction.isActive()) await transaction.abort().catch(() => undefined);
        throw failure(error);
      }
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
    // rejoin: the service must continue by itself when Kafka returns. A
    // failure that no retry can fix stops the consumer instead of looping.
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10, restartOnFailure: async (error) => classifyCrash(error).retriable },
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => options.onGroupJoin?.(payload.memberAssignment[options.topic] ?? []));
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
                await commitOffsetsIfNecessary(uncommittedOffsets()).catch((error: unknown) => Promise.reject(toKafkaError(error)));
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

function createProbe(kafka: Kafka): KafkaProbe {
  let connected: Promise<Admin> | undefined;
  const connect = async () => {
    const admin = kafka.admin();
    await admin.connect().catch(async (error: unknown) => {
      await admin.disconnect().catch(() => undefined);
      throw error;
    });
    return admin;
  };
  const drop = async (connection: Promise<Admin> | undefined) => {
    if (connected === connection) connected = undefined;
    await connection?.then((admin) => admin.disconnect()).catch(() => undefined);
  };
  return {
    async ping() {
      connected ??= connect();
      const connection = connected;
      try {
        await (await connection).describeCluster();
      } catch (error) {
        await drop(connection);
        throw toKafkaError(error);
      }
    },
    close: () => drop(connected),
  };
}

// kafkajs logs a refused SASL login three times per attempt; the service
// reports it once, where it handles the error.
const SASL_LINE = /\bsasl/i;
// kafkajs logs every error answer at error level, also CONCURRENT_TRANSACTIONS,
// which the coordinator gives while it still writes the previous transaction's
// markers and which kafkajs retries: routine for back-to-back transactions.
const ROUTINE_ANSWER = /another concurrent operation on the same transaction was ongoing/;

/** The level a kafkajs log line is written at: its own, except for lines the service handles or expects. */
export function kafkaLineLevel(level: KafkaLogLevel, message: string, fields: Record<string, unknown>, quiet: boolean): 'debug' | 'info' | 'warn' | 'error' {
  if (quiet || SASL_LINE.test(message)) return 'debug';
  if (typeof fields.error === 'string' && ROUTINE_ANSWER.test(fields.error)) return 'debug';
  if (level === KafkaLogLevel.ERROR) return 'error';
  if (level === KafkaLogLevel.WARN) return 'warn';
  return level === KafkaLogLevel.INFO ? 'info' : 'debug';
}

function logKafkaEntry(logger: Logger, { level, log }: LogEntry, quiet: boolean): void {
  const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
  logger[kafkaLineLevel(level, message, fields, quiet)]({ kafka: fields }, `kafka: ${message}`);
}
