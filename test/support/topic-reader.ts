import { randomUUID } from 'node:crypto';
import { createKafkaClient, headerText, type InboundMessage } from '../../src/kafka/kafka-client.js';
import { createLogger } from '../../src/observability/logger.js';

export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Reads a topic from the beginning, in a consumer group of its own, until at
 * least `expected` records arrived and every partition is read to the end it
 * had then; returns them in the order Kafka holds them (partition, offset).
 */
export async function readTopic(brokers: string, topic: string, expected: number, timeoutMs = 60_000): Promise<TopicRecord[]> {
  const kafka = createKafkaClient({ clientId: 'test-topic-reader', brokers: brokers.split(','), logger: createLogger('silent') });
  const deadline = Date.now() + timeoutMs;
  let ends = await kafka.endOffsets(topic);
  while (total(ends) < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    ends = await kafka.endOffsets(topic);
  }
  const records: TopicRecord[] = [];
  const next = new Map<number, bigint>();
  const finished = () => [...ends].every(([partition, end]) => (next.get(partition) ?? 0n) >= end);
  let done: () => void = () => undefined;
  const complete = new Promise<void>((resolve) => (done = resolve));
  if (finished()) done();
  const subscriber = kafka.createSubscriber({ groupId: `test-reader-${randomUUID()}`, topic, concurrency: 4 });
  await subscriber.start(async (batch, control) => {
    for (const message of batch.messages) {
      records.push({ partition: batch.partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value, headers: textHeaders(message) });
    }
    const last = batch.messages.at(-1)!.offset;
    next.set(batch.partition, BigInt(last) + 1n);
    await control.commitThrough(last);
    if (finished()) done();
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([complete, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(1_000, deadline - Date.now()))))]);
  clearTimeout(timer);
  await subscriber.stop();
  return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

function total(ends: Map<number, bigint>): number {
  return Number([...ends.values()].reduce((sum, end) => sum + end, 0n));
}

function textHeaders(message: InboundMessage): Record<string, string> {
  return Object.fromEntries(Object.keys(message.headers ?? {}).map((name) => [name, headerText(message, name) ?? '']));
}
