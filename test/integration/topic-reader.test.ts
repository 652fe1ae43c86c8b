import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { Kafka, logLevel } from '../../src/kafka/kafkajs/patched.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readOutcomes } from '../support/outcome-reader.js';
import { readTopic } from '../support/topic-reader.js';

// The suite's topic reader on a topic written by a transactional producer:
// commit and abort markers occupy offsets (the last offset of a partition is
// a marker) and never arrive as messages, and aborted records must not be
// read. The reader must still see when it is done, without waiting out its
// timeout.

const brokers = inject('kafkaBrokers');
const kafka = new Kafka({ clientId: 'topic-reader-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const topic = `topic-reader-${randomUUID().slice(0, 8)}`;
let producer: Producer;

const outcome = (partition: number, offset: number, n: number) =>
  JSON.stringify({
    event_id: `e-${n}`,
    status: 'rejected',
    code: 'CONTRACT_NOT_FOUND',
    message: 'Contract c not found.',
    duplicate: false,
    event: null,
    error: null,
    source: { transport: 'kafka', topic: 'in', partition, offset: String(offset) },
    processed_at: '2026-01-01T00:00:00.000000Z',
    revision: 0,
    revises: null,
    replay: false,
  });

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
  await admin.disconnect();
  producer = kafka.producer({
    transactionalId: `topic-reader-${randomUUID()}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  let n = 0;
  // Five committed transactions over all three partitions, one aborted in between.
  for (let t = 0; t < 6; t += 1) {
    const transaction = await producer.transaction();
    await transaction.send({
      topic,
      messages: [0, 1, 2].flatMap((partition) =>
        [0, 1].map(() => ({ partition, key: `k-${partition}`, value: outcome(partition, n, n++) })),
      ),
    });
    if (t === 2) await transaction.abort();
    else await transaction.commit();
  }
}, 120_000);
afterAll(async () => {
  await producer?.disconnect();
});

describe('topic reader', () => {
  it('reads every committed record of a transactional topic, none aborted, and finishes without waiting out its timeout', async () => {
    const admin = kafka.admin();
    await admin.connect();
    // 6 transactions × 2 records per partition, plus a marker each: 18 offsets per partition. The coordinator
    // writes the last markers after commit() returns, so give them a moment.
    let ends: number[] = [];
    for (let tries = 0; tries < 50 && (ends.length === 0 || ends.some((end) => end !== 18)); tries += 1) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      ends = (await admin.fetchTopicOffsets(topic)).map(({ high }) => Number(high));
    }
    await admin.disconnect();
    expect(ends).toEqual([18, 18, 18]);

    for (const expected of [30, 0]) {
      const started = Date.now();
      const records = await readTopic(brokers, topic, expected, { timeoutMs: 60_000 });
      const seconds = (Date.now() - started) / 1000;
      console.log(`[topic-reader] expected ${expected}: ${records.length} records in ${seconds.toFixed(1)} s`);
      expect(records).toHaveLength(30);
      expect(seconds).toBeLessThan(30);
      const values = records.map((r) => JSON.parse(r.value!.toString()) as { event_id: string });
      // The aborted transaction wrote records 12–17.
      expect(values.map((v) => Number(v.event_id.slice(2))).sort((a, b) => a - b)).toEqual(
        [...Array(36).keys()].filter((i) => i < 12 || i > 17),
      );
      // Kafka order: by partition, then offset (the markers leave gaps).
      expect(records.map((r) => r.partition)).toEqual([
        ...Array(10).fill(0),
        ...Array(10).fill(1),
        ...Array(10).fill(2),
      ]);
      expect(records.slice(0, 10).map((r) => Number(r.offset))).toEqual([0, 1, 3, 4, 9, 10, 12, 13, 15, 16]);
    }
  });

  it('stops at the last stable offset while a transaction is open', async () => {
    const transaction = await producer.transaction();
    await transaction.send({ topic, messages: [{ partition: 0, key: 'k-0', value: 'open' }] });
    try {
      const started = Date.now();
      const records = await readTopic(brokers, topic, 30, { timeoutMs: 60_000 });
      expect(records).toHaveLength(30);
      expect(records.some((r) => r.value?.toString() === 'open')).toBe(false);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await transaction.abort();
    }
  });

  it('reads outcomes with the source as published, transport included', async () => {
    const outcomes = await readOutcomes(brokers, topic, 30);
    expect(outcomes).toHaveLength(30);
    expect(outcomes[0]).toMatchObject({
      partition: 0,
      offset: '0',
      key: 'k-0',
      raw: { source: { transport: 'kafka', topic: 'in', partition: 0 } },
    });
  });
});
