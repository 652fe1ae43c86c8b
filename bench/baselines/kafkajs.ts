import type { Admin, Consumer, Producer } from 'kafkajs';
import { Kafka, logLevel, Partitioners } from '../../src/kafka/kafkajs/patched.js';
import { sleep } from '../../scripts/infra/wait.js';
import { kafkajsSecurity } from '../../src/kafka/kafkajs/security.js';
import type { KafkaSecurity } from '../../src/kafka/port.js';

// The benchmark's ONE direct kafkajs import (patched, through src/kafka/kafkajs/patched.ts). The service reaches Kafka only
// through src/kafka/port.ts; the baselines (ceiling, naive) are
// deliberately other implementations, and the harness needs what that port
// hides on purpose (message timestamps, transaction markers, committed
// offsets). Everything else in bench/ talks to Kafka through the small typed
// surface below.

/** A message to produce: key and UTF-8 value. */
export interface BenchMessage {
  key: string | null;
  value: string;
  headers?: Record<string, string>;
}

/** A record read by a `read_committed` consumer, with its position and times (epoch ms). */
export interface TimedRecord {
  partition: number;
  offset: string;
  /** The record's timestamp: the producer's on input topics, the broker's append time on output topics (see `createTopics`). */
  timestamp: number;
  /**
   * When a `read_committed` consumer could first read it: `timestamp` for a
   * record written outside a transaction; for one written in a transaction,
   * the timestamp of the commit marker that ended it (the broker's clock when
   * it wrote the marker).
   */
  visibleAt: number;
  value: Buffer | null;
}

/** Everything a `read_committed` reader got from a topic. */
export interface TopicRead {
  records: TimedRecord[];
  /**
   * Transaction markers passed on the way. Each takes one offset of its
   * partition (one per partition a transaction wrote to), so a topic written
   * in transactions holds more offsets than records: count records, never offsets.
   */
  commitMarkers: number;
  abortMarkers: number;
  /** Transactional records whose commit marker was not seen before the time-out; their `visibleAt` is their own timestamp. */
  markerNotSeen: number;
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

/** How far a consumer group has committed its way through a topic. */
export interface GroupProgress {
  /** Offsets below the group's committed positions (from each partition's start). */
  consumed: number;
  /** Offsets in the topic (high minus low watermark, summed). */
  total: number;
}

export interface BenchKafka {
  /**
   * `appendTime`: records are stamped by the broker when it appends them
   * (`message.timestamp.type=LogAppendTime`), so every implementation's
   * output carries the same clock whatever its producer does. For output topics.
   */
  createTopics(topics: readonly string[], partitions: number, options?: { appendTime?: boolean }): Promise<void>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /**
   * The group's committed offsets against the topic's watermarks. Offsets equal
   * records only in a topic written without transactions (the benchmark's
   * input topics); never count an output topic this way.
   */
  groupProgress(groupId: string, topic: string): Promise<GroupProgress>;
  connectProducer(): Promise<BenchProducer>;
  /**
   * Commits one small transaction to `topic`. The broker creates its
   * transaction state topic on the first use of transactions; the benchmark
   * does that before any measured run, as a production cluster has it already.
   */
  warmUpTransactions(topic: string): Promise<void>;
  /**
   * Reads the topic from the beginning as a `read_committed` consumer until at
   * least `expected` records arrived and every partition is read to its end,
   * so extra records are counted too (or until `timeoutMs`).
   */
  readAll(topic: string, expected: number, timeoutMs: number): Promise<TopicRead>;
  /** Ceiling: forwards every message of `from` to `to`, one produce request per fetched batch, no database. */
  forward(options: { groupId: string; from: string; to: string; concurrency: number }): Promise<RunningConsumer>;
  /** Naive baseline: `eachMessage`, the handler awaited per message. */
  eachMessage(options: {
    groupId: string;
    topic: string;
    concurrency: number;
    handle: (message: ConsumedMessage) => Promise<void>;
  }): Promise<RunningConsumer>;
}

/**
 * An entry of a fetched batch as kafkajs 2.2.4 decodes it: records, aborted
 * records and transaction markers alike (`batch.messagesWithinOffset`, which
 * its types do not declare; `batch.messages` is the read_committed view,
 * markers and aborted records removed).
 */
interface FetchedEntry {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  isControlRecord: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

/** A control record's key is (version: int16, type: int16); type 1 commits, 0 aborts. */
const markerType = (entry: FetchedEntry): 'commit' | 'abort' | 'other' => {
  const type = entry.key && entry.key.length >= 4 ? entry.key.readInt16BE(2) : -1;
  return type === 1 ? 'commit' : type === 0 ? 'abort' : 'other';
};

/** The reader fetches whole transactions (a chunk's outcomes) at once, so a commit marker rarely comes in a fetch of its own. */
const READER_FETCH = { maxBytesPerPartition: 16 * 1_048_576, maxBytes: 50 * 1_048_576 };

/**
 * Where the harness producer puts keyed messages: kafkajs's DefaultPartitioner
 * (murmur2 of the key), asked without a broker. Lets a phase without Kafka
 * split the events exactly as the input topic holds them.
 */
export function keyPartitioner(partitions: number): (key: string) => number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
  const partition = Partitioners.DefaultPartitioner();
  return (key) => partition({ topic: 'input', partitionMetadata, message: { key, value: null } });
}

export function createBenchKafka(
  brokers: readonly string[],
  security?: KafkaSecurity,
  clientId = 'contract-events-bench',
): BenchKafka {
  // Silent: kafkajs logs retriable start-up errors (coordinator not yet available); real failures reject the calls.
  const kafka = new Kafka({
    clientId,
    brokers: [...brokers],
    ...kafkajsSecurity(security),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8 },
  });
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

  const consumer = (
    groupId: string,
    fetchSizes: { maxBytesPerPartition: number; maxBytes?: number } = { maxBytesPerPartition: 1_048_576 },
  ): Consumer =>
    // readUncommitted: false (kafkajs's default, stated): records of open or aborted transactions are never read.
    kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      readUncommitted: false,
      ...fetchSizes,
      maxWaitTimeInMs: 500,
    });

  const joined = (c: Consumer): Promise<number> =>
    new Promise((resolve) => c.on(c.events.GROUP_JOIN, () => resolve(Date.now())));

  return {
    createTopics: (topics, partitions, options) =>
      withAdmin(async (admin) => {
        const configEntries = options?.appendTime ? [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] : [];
        await admin.createTopics({
          waitForLeaders: true,
          topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1, configEntries })),
        });
      }),
    deleteTopics: (topics) => withAdmin((admin) => admin.deleteTopics({ topics: [...topics] })),
    groupProgress: (groupId, topic) =>
      withAdmin(async (admin) => {
        const [ends, [committed]] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchOffsets({ groupId, topics: [topic] }),
        ]);
        const positions = new Map(
          (committed?.partitions ?? []).map(({ partition, offset }) => [partition, Number(offset)]),
        );
        let consumed = 0;
        let total = 0;
        for (const { partition, low, high } of ends) {
          total += Number(high) - Number(low);
          // -1: nothing committed yet.
          consumed += Math.max(0, Math.min(Number(high), positions.get(partition) ?? -1) - Number(low));
        }
        return { consumed, total };
      }),

    async connectProducer() {
      const producer: Producer = kafka.producer(producerOptions);
      await producer.connect();
      return {
        async send(topic, messages) {
          await producer.send({
            topic,
            acks: -1,
            messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
          });
        },
        disconnect: () => producer.disconnect(),
      };
    },

    async warmUpTransactions(topic) {
      const producer = kafka.producer({
        ...producerOptions,
        transactionalId: `bench-warm-up-${process.hrtime.bigint()}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      try {
        const transaction = await producer.transaction();
        await transaction.send({ topic, acks: -1, messages: [{ key: null, value: 'warm-up' }] });
        await transaction.commit();
      } finally {
        await producer.disconnect();
      }
    },

    async readAll(topic, expected, timeoutMs) {
      const records: TimedRecord[] = [];
      let [commitMarkers, abortMarkers] = [0, 0];
      /** Per partition, the offset after the last entry handled (records and markers); a re-read skips what lies below. */
      const handled = new Map<number, bigint>();
      /** Per partition, the offset after the last entry fetched, batches of markers alone included (they skip eachBatch). */
      const fetched = new Map<number, bigint>();
      /** Transactional records waiting for their commit marker, by partition and producer id. */
      const pending = new Map<string, TimedRecord[]>();
      const deadline = Date.now() + timeoutMs;
      const reader = consumer(`bench-reader-${process.hrtime.bigint()}`, READER_FETCH);
      reader.on(reader.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.topic !== topic || payload.lastOffset === null || payload.lastOffset === undefined) return;
        const next = BigInt(payload.lastOffset) + 1n;
        if (next > (fetched.get(payload.partition) ?? 0n)) fetched.set(payload.partition, next);
      });
      const admin = kafka.admin();
      try {
        await admin.connect();
        await reader.connect();
        await reader.subscribe({ topics: [topic], fromBeginning: true });
        await reader.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const entries = (batch as unknown as { messagesWithinOffset?: FetchedEntry[] }).messagesWithinOffset;
            if (!entries)
              throw new Error(
                'kafkajs batches no longer carry messagesWithinOffset: the reader cannot see transaction markers',
              );
            const readable = new Set<unknown>(batch.messages);
            const partition = batch.partition;
            for (const entry of entries) {
              const offset = BigInt(entry.offset);
              if (offset < (handled.get(partition) ?? 0n)) continue;
              handled.set(partition, offset + 1n);
              const producer = `${partition}/${entry.batchContext.producerId}`;
              if (entry.isControlRecord) {
                const type = markerType(entry);
                if (type === 'commit') {
                  commitMarkers++;
                  for (const record of pending.get(producer) ?? []) record.visibleAt = Number(entry.timestamp);
                } else if (type === 'abort') abortMarkers++;
                pending.delete(producer);
              } else if (readable.has(entry)) {
                const timestamp = Number(entry.timestamp);
                const record: TimedRecord = {
                  partition,
                  offset: entry.offset,
                  timestamp,
                  visibleAt: timestamp,
                  value: entry.value,
                };
                records.push(record);
                if (entry.batchContext.inTransaction) {
                  record.visibleAt = Number.NaN;
                  const waiting = pending.get(producer);
                  if (waiting) waiting.push(record);
                  else pending.set(producer, [record]);
                }
              }
            }
          },
        });
        const reseekedAt = new Map<number, number>();
        for (;;) {
          if (records.length >= expected && (await readToEnd(admin, topic, fetched))) {
            if (pending.size === 0) break;
            // A commit marker that came in a fetch of its own never reached
            // eachBatch: read those partitions again from their first waiting
            // record, so that the marker comes with it.
            for (const waiting of pending.values()) {
              const { partition, offset } = waiting[0]!;
              if (Date.now() - (reseekedAt.get(partition) ?? 0) < 2_000) continue;
              reseekedAt.set(partition, Date.now());
              reader.seek({ topic, partition, offset });
            }
          }
          if (Date.now() > deadline) break;
          await sleep(100);
        }
      } finally {
        await reader.disconnect().catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
      }
      let markerNotSeen = 0;
      for (const record of records) {
        if (!Number.isNaN(record.visibleAt)) continue;
        markerNotSeen++;
        record.visibleAt = record.timestamp;
      }
      return { records, commitMarkers, abortMarkers, markerNotSeen };
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
          await producer.send({
            topic: to,
            acks: -1,
            messages: batch.messages.map((m) => ({ key: m.key, value: m.value })),
          });
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
        eachMessage: ({ topic: t, partition, message }) =>
          handle({ topic: t, partition, offset: message.offset, key: message.key, value: message.value }),
      });
      return { joinedAt, stop: () => c.disconnect() };
    },
  };
}

/**
 * True when every partition was fetched to its end. Called once the writers
 * have stopped, so the high watermark is also the last stable offset a
 * read_committed reader can reach.
 */
async function readToEnd(admin: Admin, topic: string, fetched: ReadonlyMap<number, bigint>): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(topic).catch(() => undefined);
  if (!ends) return false;
  return ends.every(
    ({ partition, low, high }) => BigInt(high) === BigInt(low) || (fetched.get(partition) ?? 0n) >= BigInt(high),
  );
}
