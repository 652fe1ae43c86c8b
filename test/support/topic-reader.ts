import { randomUUID } from 'node:crypto';
import type { Admin, IHeaders } from 'kafkajs';
import { Kafka, logLevel } from '../../src/kafka/kafkajs/patched.js';

export interface TopicRecord {
  partition: number;
  offset: string;
  /** The key as text (UTF-8, lossy for bytes that are not UTF-8). */
  key: string | null;
  /** The key exactly as Kafka holds it. */
  keyBytes: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface ReadTopicOptions {
  /** Give up after this long and return what was read (default 60 s). */
  timeoutMs?: number;
  /** Once done, keep listening this long for late records (default 0). */
  quietMs?: number;
}

/**
 * Reads a topic from the beginning as a `read_committed` consumer (kafkajs's
 * default), until at least `expected` records arrived and every partition is
 * read to its end as a read_committed reader sees it (the last stable offset);
 * returns the records in the order Kafka holds them (partition, offset).
 *
 * A topic written by a transactional producer holds commit/abort markers:
 * they occupy offsets (the last one often is a marker) but never reach the
 * consumer as messages, so a partition's position is taken from the offset
 * kafkajs reports for every fetched batch, markers and aborted records
 * included, not from the last message seen.
 *
 * The fourth argument may be a timeout in milliseconds (the older form).
 */
export async function readTopic(
  brokers: string,
  topic: string,
  expected: number,
  options: number | ReadTopicOptions = {},
): Promise<TopicRecord[]> {
  const { timeoutMs = 60_000, quietMs = 0 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const kafka = new Kafka({ clientId: 'test-topic-reader', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const deadline = Date.now() + timeoutMs;
  const records: TopicRecord[] = [];
  /** Per partition, the offset after the last one fetched (messages, markers and aborted records alike). */
  const positions = new Map<number, bigint>();
  const admin = kafka.admin();
  const consumer = kafka.consumer({
    groupId: `test-reader-${randomUUID()}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 250,
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic !== topic || payload.lastOffset === null || payload.lastOffset === undefined) return;
    const next = BigInt(payload.lastOffset) + 1n;
    if (next > (positions.get(payload.partition) ?? 0n)) positions.set(payload.partition, next);
  });
  try {
    await admin.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          records.push({
            partition: batch.partition,
            offset: message.offset,
            key: message.key?.toString('utf8') ?? null,
            keyBytes: message.key ?? null,
            value: message.value,
            headers: textHeaders(message.headers),
          });
        }
      },
    });
    for (;;) {
      if (records.length >= expected && (await readToEnd(admin, topic, positions))) break;
      if (Date.now() > deadline) break;
      await sleep(100);
    }
    if (quietMs > 0) await sleep(Math.min(quietMs, Math.max(0, deadline - Date.now())));
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  return records.sort((a, b) => a.partition - b.partition || compareOffsets(a.offset, b.offset));
}

/** True when every partition's position has reached the end a read_committed reader can reach. */
async function readToEnd(admin: Admin, topic: string, positions: ReadonlyMap<number, bigint>): Promise<boolean> {
  // The admin lists offsets read_committed: `high` is the last stable offset
  // (equal to the high watermark once no transaction is open).
  const ends = await admin.fetchTopicOffsets(topic).catch(() => undefined);
  if (!ends) return false;
  return ends.every(({ partition, high }) => (positions.get(partition) ?? 0n) >= BigInt(high));
}

export function compareOffsets(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

function textHeaders(headers: IHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    text[name] = (Array.isArray(value) ? value : [value]).map(String).join(',');
  }
  return text;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
