import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createKafkaClient } from '../src/kafka/kafkajs/client.js';
import type { ConsumedOffset, OutboundMessage } from '../src/kafka/port.js';
import { Kafka, logLevel } from '../src/kafka/kafkajs/patched.js';
import { createLogger } from '../src/observability/logger.js';
import { createBenchKafka } from './baselines/kafkajs.js';
import { log } from './context.js';
import { provideKafka } from './infra.js';
import { percentile as nearestRank } from './measure/latency.js';
import { round } from './measure/throughput.js';

// `npm run bench:transactions`: Kafka transactions back to back on one
// transactional id, as the service runs them for consecutive chunks of a
// partition (a chunk's outcomes, the consumed offset, commit). A transaction
// that starts while the coordinator still writes the previous one's commit
// markers is answered CONCURRENT_TRANSACTIONS until they are written; how
// soon the client asks again decides what the next transaction costs. Timed
// through the service's transactional publisher and through a kafkajs producer
// with kafkajs's default retry (first retry after 300 ms), alternating.

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    transactions: { type: 'string', default: '40' },
    records: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '2' },
  },
});
const count = Number(values.transactions);
const records = Number(values.records);
const rounds = Number(values.rounds);
for (const [name, value] of [
  ['transactions', count],
  ['records', records],
  ['rounds', rounds],
] as const) {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
}

type RunTransaction = (messages: readonly OutboundMessage[], consumed: ConsumedOffset) => Promise<void>;

const infra = await provideKafka();
const runId = randomBytes(3).toString('hex');
const outcomes = `bench_${runId}_outcomes`;
const events = `bench_${runId}_events`;
const benchKafka = createBenchKafka(infra.brokers);
try {
  await benchKafka.createTopics([outcomes, events], 6);
  await benchKafka.warmUpTransactions(outcomes);
  const messages: OutboundMessage[] = Array.from({ length: records }, (_, i) => ({
    key: `contract-${i}`,
    value: JSON.stringify({ event_id: `e-${i}`, status: 'accepted', code: 'ACCEPTED', padding: 'x'.repeat(300) }),
    headers: { 'event-id': `e-${i}` },
    partition: 0,
  }));
  const results: Record<string, number[]> = { service: [], 'kafkajs default retry': [] };
  for (let r = 0; r < rounds; r += 1) {
    for (const name of Object.keys(results)) {
      const [run, close] = name === 'service' ? await servicePublisher(r) : await defaultRetryPublisher(r);
      const group = `bench_${runId}_${name.replace(/\W/g, '_')}_${r}`;
      const timings = await backToBack(run, messages, group);
      await close();
      results[name]!.push(...timings);
      log(`${name}, round ${r + 1}: p50 ${percentile(timings, 50)} ms per transaction`);
    }
  }
  console.log(
    `\n${count} transactions back to back per round, ${records} records of ~${messages[0]!.value.length} B each:`,
  );
  for (const [name, timings] of Object.entries(results)) {
    console.log(
      `  ${name.padEnd(22)} p50 ${percentile(timings, 50)} ms, p90 ${percentile(timings, 90)} ms, mean ${round(mean(timings), 1)} ms`,
    );
  }
} finally {
  await benchKafka.deleteTopics([outcomes, events]).catch(() => undefined);
  await infra.stop();
}

async function servicePublisher(r: number): Promise<[RunTransaction, () => Promise<void>]> {
  const client = createKafkaClient({
    clientId: 'bench-transactions',
    brokers: infra.brokers,
    logger: createLogger('silent'),
  });
  const publisher = await client.connectTransactionalPublisher(`bench-${runId}-service-${r}`);
  return [
    (messages, consumed) => publisher.sendInTransaction(outcomes, [messages], consumed),
    () => publisher.disconnect(),
  ];
}

async function defaultRetryPublisher(r: number): Promise<[RunTransaction, () => Promise<void>]> {
  const kafka = new Kafka({ clientId: 'bench-transactions', brokers: infra.brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({
    transactionalId: `bench-${runId}-default-${r}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const run: RunTransaction = async (messages, consumed) => {
    const transaction = await producer.transaction();
    await transaction.send({ topic: outcomes, acks: -1, messages: [...messages] });
    await transaction.sendOffsets({
      consumerGroupId: consumed.groupId,
      topics: [{ topic: consumed.topic, partitions: [{ partition: consumed.partition, offset: consumed.nextOffset }] }],
    });
    await transaction.commit();
  };
  return [run, () => producer.disconnect()];
}

/** Milliseconds per transaction, after a few that find the group coordinator and warm up. */
async function backToBack(run: RunTransaction, messages: readonly OutboundMessage[], group: string): Promise<number[]> {
  const consumed = (i: number): ConsumedOffset => ({
    groupId: group,
    topic: events,
    partition: 0,
    nextOffset: String(i),
  });
  for (let attempt = 0; ; attempt += 1) {
    try {
      await run(messages, consumed(0)); // the group's coordinator may still be loading
      break;
    } catch (error) {
      if (attempt === 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const timings: number[] = [];
  for (let i = 1; i <= count + 5; i += 1) {
    const started = performance.now();
    await run(messages, consumed(i));
    if (i > 5) timings.push(performance.now() - started);
  }
  return timings;
}

/** Nearest-rank percentile of unsorted values, to 0.1 ms. */
function percentile(values: readonly number[], p: number): number {
  return round(
    nearestRank(
      [...values].sort((a, b) => a - b),
      p,
    ),
    1,
  );
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
