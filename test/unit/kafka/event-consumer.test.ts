import { SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DatabaseError, UnexpectedFailure } from '../../../src/errors.js';
import {
  createEventConsumer,
  type EventConsumer,
  type EventConsumerOptions,
} from '../../../src/kafka/event-consumer.js';
import type { InboundMessage, OutboundMessage } from '../../../src/kafka/port.js';
import { createOutcomeDelivery, type OutcomeDeliveryMode } from '../../../src/kafka/outcome-delivery.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { createBatchDecider, type BatchDecider } from '../../../src/processing/decide-batch.js';
import type { DecodedMessage } from '../../../src/processing/decoded-message.js';
import { buildOutcome, type Outcome } from '../../../src/processing/outcome.js';
import { createFailureRecorder } from '../../../src/processing/record-failure.js';
import { referencePositionId } from '../../support/fault/reference-decoder.js';
import { createMemoryDecisionStore, type MemoryDecisionStore } from '../../support/memory-decision-store.js';
import { createStubKafka, type StubKafka } from '../../support/stub-kafka.js';
import { classifyCrash } from '../../../src/kafka/kafka-errors.js';
import type * as outcomeTraces from '../../../src/kafka/outcome-traces.js';
import { traceOutcomes } from '../../../src/kafka/outcome-traces.js';
import type * as decoding from '../../../src/processing/decode-message.js';
import { decodeMessage } from '../../../src/processing/decode-message.js';

// Decoding and tracing as they are, made to fail where a test says so (as a bug in them would).
vi.mock('../../../src/processing/decode-message.js', async (importOriginal) => {
  const actual = await importOriginal<typeof decoding>();
  return { ...actual, decodeMessage: vi.fn(actual.decodeMessage) };
});
vi.mock('../../../src/kafka/outcome-traces.js', async (importOriginal) => {
  const actual = await importOriginal<typeof outcomeTraces>();
  return { ...actual, traceOutcomes: vi.fn(actual.traceOutcomes) };
});
const realDecode = (await vi.importActual<typeof decoding>('../../../src/processing/decode-message.js')).decodeMessage;
const realTrace = (await vi.importActual<typeof outcomeTraces>('../../../src/kafka/outcome-traces.js')).traceOutcomes;
afterEach(() => {
  vi.mocked(decodeMessage).mockImplementation(realDecode);
  vi.mocked(traceOutcomes).mockImplementation(realTrace);
});

// The consumer loop against a stub of the Kafka client and of the use case:
// what is published, what is committed, and what is retried or not.

const TOPIC = 'contract-events';

/** Decides every valid event as accepted, and counts the calls. */
function stubDecider() {
  const calls: DecodedMessage[][] = [];
  const decide = async (messages: readonly DecodedMessage[]): Promise<Outcome[]> => {
    calls.push([...messages]);
    return messages.map((m) =>
      buildOutcome(
        m,
        m.kind === 'valid'
          ? { status: 'accepted', code: 'ACCEPTED', message: 'Event processed successfully.' }
          : { status: 'error', code: m.code, message: m.error.message, error: m.error },
        false,
        '2026-01-01T00:00:00.000000Z',
      ),
    );
  };
  return { calls, decide };
}

const event = (i: number, eventId = `e-${i}`) => ({
  key: Buffer.from('k-1'),
  value: Buffer.from(
    JSON.stringify({
      type: 'supply_energy_start',
      contract_number: 'k-1',
      date: '2024-01-01',
      created_at: `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
      event_id: eventId,
    }),
  ),
});
const batch = (partition: number, first: number, values: { key: Buffer | null; value: Buffer | null }[]) => ({
  topic: TOPIC,
  partition,
  highWatermark: String(first + values.length),
  messages: values.map((v, i): InboundMessage => ({ ...v, offset: String(first + i) })),
});

async function startConsumer(
  stub: StubKafka,
  mode: OutcomeDeliveryMode,
  decide = stubDecider().decide,
  maxMessageBytes = 1_048_588,
  metrics = createMetrics(),
  tracer: Tracer = trace.getTracer('unrecorded'),
  overrides: Partial<Pick<EventConsumerOptions, 'recordFailure' | 'logger'>> = {},
): Promise<EventConsumer> {
  const delivery = await createOutcomeDelivery({
    kafka: stub.client,
    mode,
    groupId: 'g',
    eventsTopic: TOPIC,
    outcomesTopic: 'outcomes',
    transactionalIdPrefix: 'g',
    compression: 'none',
    maxMessageBytes,
    onCompacted: () => undefined,
  });
  const consumer = createEventConsumer({
    kafka: stub.client,
    delivery,
    decideBatch: decide,
    recordFailure: async () => Promise.reject(new Error('not expected')),
    maxAttempts: 3,
    logger: createLogger('silent'),
    metrics,
    tracer,
    groupId: 'g',
    eventsTopic: TOPIC,
    concurrency: 1,
    sessionTimeoutMs: 30_000,
    lagSampleIntervalMs: 60_000,
    maxBatchSize: 1000,
    retry: { initialMs: 1, maxMs: 2 },
    ...overrides,
  });
  await consumer.start();
  stub.joinGroup([0, 1]);
  return consumer;
}

const values = (requests: readonly OutboundMessage[][]) =>
  requests.flat().map((m) => JSON.parse(m.value) as { event_id: string; error: { details?: unknown } | null });
const connectionLost = () =>
  Object.assign(new Error('Connection error: ECONNREFUSED'), { name: 'KafkaJSConnectionError' });

describe('the consumer loop, transactional', () => {
  afterEach(() => vi.useRealTimers());

  it('sets the lag in messages and in seconds after each batch, from the batch high watermark', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['Date'] });
    const stub = createStubKafka();
    const metrics = createMetrics();
    const consumer = await startConsumer(stub, 'transactional', undefined, undefined, metrics);
    const lag = async () => [
      (await metrics.consumerLag.get()).values[0]?.value,
      (await metrics.consumerLagSeconds.get()).values[0]?.value,
    ];
    await stub.deliver(batch(0, 0, [event(1), event(2), event(3)]));
    expect(await lag()).toEqual([0, 0]);
    vi.setSystemTime(7_000);
    await stub.deliver({ ...batch(0, 3, [event(4)]), highWatermark: '10' });
    // Offsets 3..9 arrived between 0 s (end 3 last seen) and 7 s (end 10 first seen): offset 4 at 1 s, 6 s old now.
    expect(await lag()).toEqual([6, 6]); // offsets 4..9 wait
    await consumer.stop();
  });

  it('publishes a chunk and commits its offset in one transaction, and commits nothing itself', async () => {
    const stub = createStubKafka();
    const consumer = await startConsumer(stub, 'transactional');
    await stub.deliver(batch(1, 10, [event(1), event(2), event(3)]));
    expect(stub.transactions).toHaveLength(1);
    expect(stub.transactions[0]!.transactionalId).toBe(`g-${TOPIC}-1`);
    expect(stub.transactions[0]!.consumed).toEqual({ groupId: 'g', topic: TOPIC, partition: 1, nextOffset: '13' });
    expect(values(stub.transactions[0]!.requests).map((v) => v.event_id)).toEqual(['e-1', 'e-2', 'e-3']);
    expect(stub.commits).toEqual([]);
    expect(stub.resolved).toEqual(['12']);
    await consumer.stop();
  });

  it('commits nothing while publishing fails, and retries from a fresh producer', async () => {
    const stub = createStubKafka();
    const consumer = await startConsumer(stub, 'transactional');
    await stub.deliver(batch(0, 0, [event(1)]));
    stub.failNext.push(connectionLost(), connectionLost());
    let done = false;
    const delivered = stub.deliver(batch(0, 1, [event(2), event(3)])).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (!done) {
      expect(stub.transactions).toHaveLength(1);
      expect(stub.resolved).toEqual(['0']);
    }
    await delivered;
    expect(stub.transactions).toHaveLength(2);
    expect(stub.transactions[1]!.consumed.nextOffset).toBe('3');
    expect(stub.resolved).toEqual(['0', '2']);
    // The producer of the first claim, then one fresh producer per failed attempt.
    expect(stub.connects).toHaveLength(3);
    await consumer.stop();
  });

  it('does not commit a chunk twice when the answer to its commit was lost', async () => {
    const stub = createStubKafka();
    const consumer = await startConsumer(stub, 'transactional');
    stub.loseNextAnswer = true;
    await stub.deliver(batch(0, 0, [event(1), event(2)]));
    expect(stub.transactions).toHaveLength(1);
    expect(stub.resolved).toEqual(['1']);
    await consumer.stop();
  });

  it('publishes only the rest of a chunk when, while it was retried, part of it was committed elsewhere', async () => {
    const stub = createStubKafka();
    const consumer = await startConsumer(stub, 'transactional');
    // The first attempt fails; meanwhile an older owner's transaction for offsets 0 and 1 completes.
    stub.failNext.push(() => {
      stub.groupOffsets.set(0, 2n);
      return connectionLost();
    });
    await stub.deliver(batch(0, 0, [event(1), event(2), event(3), event(4)]));
    expect(stub.transactions).toHaveLength(1);
    expect(values(stub.transactions[0]!.requests).map((v) => v.event_id)).toEqual(['e-3', 'e-4']);
    expect(stub.transactions[0]!.consumed.nextOffset).toBe('4');
    await consumer.stop();
  });

  it('hands a partition to a batch given out after a rejoin only once the batch before it is done', async () => {
    const stub = createStubKafka();
    const decider = stubDecider();
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const consumer = await startConsumer(stub, 'transactional', async (messages) => {
      if (decider.calls.length === 0) {
        decider.calls.push([]);
        await gate;
      }
      return decider.decide(messages);
    });
    const first = stub.deliver(batch(0, 0, [event(1), event(2)]));
    await new Promise((resolve) => setTimeout(resolve, 5));
    stub.joinGroup([0, 1]);
    // kafkajs hands out the same messages again from the committed offset it read at the rejoin.
    const second = stub.deliver(batch(0, 0, [event(1), event(2)]));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(decider.calls).toHaveLength(1);
    open();
    await Promise.all([first, second]);
    // The first batch committed its chunk; the second one found it committed and decided nothing.
    expect(stub.transactions).toHaveLength(1);
    expect(
      decider.calls
        .slice(1)
        .flat()
        .map((m) => m.eventId),
    ).toEqual(['e-1', 'e-2']);
    await consumer.stop();
  });

  it('does not decide again what the previous owner of the partition committed', async () => {
    const stub = createStubKafka();
    const decider = stubDecider();
    stub.groupOffsets.set(1, 5n); // committed by the old owner after this member fetched its position
    const consumer = await startConsumer(stub, 'transactional', decider.decide);
    await stub.deliver(batch(1, 3, [event(3), event(4), event(5), event(6)]));
    expect(decider.calls.flat().map((m) => m.eventId)).toEqual(['e-5', 'e-6']);
    expect(stub.resolved).toEqual(['4', '6']);
    expect(stub.transactions[0]!.consumed.nextOffset).toBe('7');
    await consumer.stop();
  });

  it('fits every produce request within max.message.bytes and keeps the order', async () => {
    const stub = createStubKafka();
    const consumer = await startConsumer(stub, 'transactional', undefined, 8192);
    const messages = Array.from({ length: 60 }, (_, i) => event(i, `${'"\\'.repeat(60)}-${i}`));
    await stub.deliver(batch(0, 0, messages));
    const { requests } = stub.transactions[0]!;
    expect(requests.length).toBeGreaterThan(5);
    for (const request of requests) {
      // Counted independently of the code: the bytes of every key, value and header.
      const bytes = request.reduce(
        (sum, m) =>
          sum +
          Buffer.byteLength(m.value) +
          Buffer.byteLength(m.key ?? '') +
          Object.entries(m.headers).reduce((h, [k, v]) => h + k.length + Buffer.byteLength(v), 0),
        0,
      );
      expect(bytes).toBeLessThan(8192);
    }
    expect(values(requests).map((v) => v.event_id)).toEqual(messages.map((_, i) => `${'"\\'.repeat(60)}-${i}`));
    await consumer.stop();
  });

  it('publishes an outcome too large even alone in compact form, with its id, status and code', async () => {
    const stub = createStubKafka();
    const huge = {
      key: Buffer.from('k-1'),
      value: Buffer.from(
        JSON.stringify({ type: 'nope', contract_number: 'k-1', event_id: 'big-1', junk: '\u{1F600}'.repeat(3000) }),
      ),
    };
    const consumer = await startConsumer(stub, 'transactional', undefined, 8192);
    await stub.deliver(batch(0, 0, [huge, event(1)]));
    const [compact, ordinary] = values(stub.transactions[0]!.requests) as {
      event_id: string;
      status: string;
      code: string;
      error: { details?: { truncated?: boolean } } | null;
    }[];
    expect(compact).toMatchObject({
      event_id: 'big-1',
      status: 'error',
      code: 'VALIDATION_ERROR',
      error: { code: 'VALIDATION_ERROR', details: { truncated: true } },
    });
    expect(JSON.stringify(compact)).not.toContain('\u{1F600}');
    expect(ordinary?.error).toBeNull();
    await consumer.stop();
  });

  it('sends again in smaller requests when the broker still finds one too large', async () => {
    const stub = createStubKafka();
    const consumer = await startConsumer(stub, 'transactional', undefined, 64 * 1024);
    stub.failNext.push(Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' }));
    await stub.deliver(
      batch(
        0,
        0,
        Array.from({ length: 200 }, (_, i) => event(i)),
      ),
    );
    expect(stub.transactions).toHaveLength(1);
    expect(stub.transactions[0]!.requests.length).toBeGreaterThan(1);
    await consumer.stop();
  });

  it('keys every outcome: by contract, by the input key of input that is no valid event, else by a key of its position', async () => {
    const stub = createStubKafka();
    const consumer = await startConsumer(stub, 'transactional');
    const badDate = JSON.stringify({
      type: 'supply_energy_start',
      contract_number: 'k-1',
      date: '2024-02-30',
      created_at: '2024-01-01T00:00:00Z',
      event_id: 'p-1',
    });
    await stub.deliver(
      batch(0, 20, [
        event(1),
        { key: null, value: Buffer.from('not json') },
        { key: Buffer.from('k-7'), value: Buffer.from('not json') },
        { key: null, value: Buffer.from(badDate) },
        { key: Buffer.from([0xff, 0xfe]), value: Buffer.from('not json') },
        { key: Buffer.alloc(0), value: null },
      ]),
    );
    const keys = stub.transactions[0]!.requests.flat().map((m) => m.key);
    // A position's key, as the SPEC describes it and the reference decoder computes it: stable, one per input message.
    const positionKey = (offset: number) => referencePositionId(TOPIC, 0, String(offset));
    expect(keys).toEqual(['k-1', positionKey(21), 'k-7', positionKey(23), positionKey(24), positionKey(25)]);
    await consumer.stop();
  });

  it('stops on a failure no retry can fix instead of looping', async () => {
    const stub = createStubKafka();
    const consumer = await startConsumer(stub, 'transactional');
    stub.failNext.push(Object.assign(new Error('denied'), { type: 'TOPIC_AUTHORIZATION_FAILED' }), connectionLost());
    await expect(stub.deliver(batch(0, 0, [event(1)]))).rejects.toMatchObject({
      retriable: false,
      type: 'TOPIC_AUTHORIZATION_FAILED',
    });
    expect(stub.failNext).toHaveLength(1); // tried once, not again
    expect(stub.transactions).toEqual([]);
    expect(stub.resolved).toEqual([]);
    expect(consumer.status()).toMatchObject({ running: false, healthy: false });
    await consumer.stop();
  });
});

describe('revisions after a failed publish (EVENT_ORDER=created_at)', () => {
  // Per contract: A = start 01-01 created 10:01, B = end 01-05 created 10:02, C = start 01-03 created 10:03.
  // C then A arrive first (both accepted); B arriving late revises C to RESTART_AFTER_END.
  const lateEvent = (contract: string, name: 'A' | 'B' | 'C') => {
    const fields = {
      A: { type: 'supply_energy_start', date: '2024-01-01', created_at: '2024-01-01T10:01:00Z' },
      B: { type: 'supply_energy_end', date: '2024-01-05', created_at: '2024-01-01T10:02:00Z' },
      C: { type: 'supply_energy_start', date: '2024-01-03', created_at: '2024-01-01T10:03:00Z' },
    }[name];
    return {
      key: Buffer.from(contract),
      value: Buffer.from(JSON.stringify({ ...fields, contract_number: contract, event_id: `${contract}-${name}` })),
    };
  };
  /** The created_at decider over an in-memory store, with contracts k-1 and k-2, after C and A of both were consumed and committed (offsets 0–3). */
  async function afterEarlyEvents() {
    const stub = createStubKafka();
    const store = createMemoryDecisionStore(
      ['k-1', 'k-2'].map((contractNumber) => ({ contractNumber, components: ['energy_supply'] })),
    );
    const decide = createBatchDecider({
      store,
      clock: () => 1_800_000_000_000_000n,
      auditEnabled: true,
      eventOrder: 'created_at',
    });
    const consumer = await startConsumer(stub, 'transactional', decide);
    await stub.deliver(
      batch(0, 0, [lateEvent('k-1', 'C'), lateEvent('k-1', 'A'), lateEvent('k-2', 'C'), lateEvent('k-2', 'A')]),
    );
    return { stub, consumer };
  }
  const published = (stub: StubKafka) =>
    values(stub.transactions.flatMap((t) => t.requests)).map((v) => {
      const { event_id, revision, code } = v as unknown as { event_id: string; revision: number; code: string };
      return `${event_id} ${revision} ${code}`;
    });

  it('publishes every revision of a chunk exactly once when its first transaction failed', async () => {
    const { stub, consumer } = await afterEarlyEvents();
    stub.failNext.push(connectionLost());
    // Offsets 4 and 5: each late end event revises the start event consumed at offset 0 or 2.
    await stub.deliver(batch(0, 4, [lateEvent('k-1', 'B'), lateEvent('k-2', 'B')]));
    expect(published(stub).slice(4)).toEqual([
      'k-1-B 0 ACCEPTED',
      'k-2-B 0 ACCEPTED',
      'k-1-C 1 RESTART_AFTER_END',
      'k-2-C 1 RESTART_AFTER_END',
    ]);
    expect(stub.transactions.at(-1)!.consumed.nextOffset).toBe('6');
    await consumer.stop();
  });

  it('leaves out only the revisions caused by messages another owner committed meanwhile', async () => {
    const { stub, consumer } = await afterEarlyEvents();
    // The first attempt fails; meanwhile an older owner's transaction for offset 4 (k-1-B and its revision of k-1-C) completes.
    stub.failNext.push(() => {
      stub.groupOffsets.set(0, 5n);
      return connectionLost();
    });
    await stub.deliver(batch(0, 4, [lateEvent('k-1', 'B'), lateEvent('k-2', 'B')]));
    expect(stub.transactions).toHaveLength(2);
    expect(published(stub).slice(4)).toEqual(['k-2-B 0 ACCEPTED', 'k-2-C 1 RESTART_AFTER_END']);
    await consumer.stop();
  });
});

describe('readiness of the consumer loop', () => {
  it('is healthy again once a crashed consumer has rejoined its group, before any traffic', async () => {
    const stub = createStubKafka();
    const consumer = await startConsumer(stub, 'transactional');
    stub.crash(new Error("The coordinator is loading and hence can't process requests"), true);
    expect(consumer.status()).toMatchObject({ running: true, healthy: false });
    stub.joinGroup([0, 1]);
    expect(consumer.status()).toEqual({ running: true, healthy: true, lastError: null });
    await consumer.stop();
  });
});

describe('the consumer loop, at-least-once', () => {
  it('commits again without publishing again when only the offset commit failed', async () => {
    const stub = createStubKafka();
    const consumer = await startConsumer(stub, 'at-least-once');
    stub.failNextCommits.push(connectionLost());
    await stub.deliver(batch(0, 0, [event(1), event(2)]));
    expect(stub.sent).toHaveLength(1);
    expect(stub.commits).toEqual(['1']);
    await consumer.stop();
  });

  it('commits a chunk only after its outcomes were published', async () => {
    const stub = createStubKafka();
    const consumer = await startConsumer(stub, 'at-least-once');
    stub.failNext.push(connectionLost());
    await stub.deliver(batch(0, 0, [event(1), event(2)]));
    expect(stub.sent).toHaveLength(1);
    expect(stub.commits).toEqual(['1']);
    expect(stub.transactions).toEqual([]);
    await consumer.stop();
  });
});

describe('tracing of the consumer loop', () => {
  // Examples of producer contexts (W3C Trace Context, section 3.2): one sampled, one not.
  const SAMPLED = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
  const UNSAMPLED = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
  const traced = (i: number, context: { traceId: string; spanId: string }, flags: string) => ({
    ...event(i),
    headers: { traceparent: `00-${context.traceId}-${context.spanId}-${flags}` },
  });

  async function tracedConsumer(stub: StubKafka) {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const consumer = await startConsumer(
      stub,
      'transactional',
      undefined,
      undefined,
      undefined,
      provider.getTracer('test'),
    );
    return { consumer, spans: () => exporter.getFinishedSpans() };
  }

  it('makes one span per chunk, linked to each producer span, with the database and Kafka work inside it', async () => {
    const stub = createStubKafka();
    const { consumer, spans } = await tracedConsumer(stub);
    await stub.deliver(batch(1, 10, [traced(1, SAMPLED, '01'), event(2), traced(3, UNSAMPLED, '00')]));
    await consumer.stop();

    const [decide, send, chunk] = spans();
    expect(spans()).toHaveLength(3);
    expect(chunk!.name).toBe(`process ${TOPIC}`);
    expect(chunk!.kind).toBe(SpanKind.CONSUMER);
    expect(chunk!.parentSpanContext).toBeUndefined();
    expect(chunk!.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': TOPIC,
      'messaging.destination.partition.id': '1',
      'messaging.consumer.group.name': 'g',
      'messaging.batch.message_count': 3,
      'contract_events.offset.first': '10',
      'contract_events.offset.last': '12',
      'contract_events.outcomes.accepted': 3,
    });
    expect(chunk!.links.map((link) => ({ ...link.context, attributes: link.attributes }))).toEqual([
      { ...SAMPLED, traceFlags: 1, isRemote: true, attributes: { 'messaging.kafka.offset': 10 } },
      { ...UNSAMPLED, traceFlags: 0, isRemote: true, attributes: { 'messaging.kafka.offset': 12 } },
    ]);
    expect(chunk!.status.code).toBe(SpanStatusCode.UNSET);

    expect(decide).toMatchObject({
      name: 'decide',
      kind: SpanKind.INTERNAL,
      attributes: { 'db.system.name': 'postgresql' },
    });
    expect(send).toMatchObject({
      name: 'send outcomes',
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.destination.name': 'outcomes',
        'messaging.batch.message_count': 3,
        'contract_events.delivery': 'transactional',
      },
    });
    for (const child of [decide!, send!]) {
      expect(child.spanContext().traceId).toBe(chunk!.spanContext().traceId);
      expect(child.parentSpanContext?.spanId).toBe(chunk!.spanContext().spanId);
    }
  });

  it('records each retry of the Kafka transaction as an event on its span, and a failure no retry can fix as a failed span', async () => {
    const stub = createStubKafka();
    const { consumer, spans } = await tracedConsumer(stub);
    stub.failNext.push(connectionLost());
    await stub.deliver(batch(0, 0, [event(1)]));
    const send = spans().find((span) => span.name === 'send outcomes')!;
    expect(
      send.events.map((e) => ({
        name: e.name,
        attempt: e.attributes?.['retry.attempt'],
        message: e.attributes?.['exception.message'],
      })),
    ).toEqual([{ name: 'retry', attempt: 1, message: 'Connection error: ECONNREFUSED' }]);
    expect(send.status.code).toBe(SpanStatusCode.UNSET);

    stub.failNext.push(Object.assign(new Error('denied'), { type: 'TOPIC_AUTHORIZATION_FAILED' }));
    await stub.deliver(batch(0, 1, [event(2)])).catch(() => undefined);
    const failed = spans().filter((span) => span.name === `process ${TOPIC}`)[1]!;
    expect(failed.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(failed.events.map((e) => e.name)).toEqual(['exception']);
    await consumer.stop();
  });
});

describe('the consumer loop, when a failure nobody classified happens', () => {
  // Three contracts, one event each: every one is accepted unless something goes wrong.
  const CONTRACTS = ['u-1', 'u-2', 'u-3'];
  const ATTEMPTS = 3; // maxAttempts of startConsumer
  const startOf = (contract: string) => ({
    key: Buffer.from(contract),
    value: Buffer.from(
      JSON.stringify({
        type: 'supply_energy_start',
        contract_number: contract,
        date: '2024-01-01',
        created_at: '2024-01-01T00:00:00Z',
        event_id: `start-${contract}`,
      }),
    ),
  });
  const bug = () => new TypeError("Cannot read properties of undefined (reading 'start')");

  interface LogLine {
    level: number;
    msg: string;
    event_id?: string;
    offset?: string;
    attempt?: number;
  }

  /** The real use case on an in-memory store, behind `wrap` (which may fail it); a real failure recorder; logs kept. */
  async function setUp(
    wrap: (decide: BatchDecider) => BatchDecider,
    recordFailure?: EventConsumerOptions['recordFailure'],
  ) {
    const stub = createStubKafka();
    const store: MemoryDecisionStore = createMemoryDecisionStore(
      CONTRACTS.map((contractNumber) => ({ contractNumber, components: ['energy_supply'] })),
    );
    const metrics = createMetrics();
    const lines: LogLine[] = [];
    const logger = createLogger('info', { write: (chunk: string) => void lines.push(JSON.parse(chunk) as LogLine) });
    const unrecorded: string[] = [];
    const recorder =
      recordFailure ??
      createFailureRecorder({
        store,
        clock: () => 0n,
        auditEnabled: true,
        onUnrecorded: (decoded) => unrecorded.push(decoded.eventId),
      });
    const decide = wrap(createBatchDecider({ store, clock: () => 0n, auditEnabled: true }));
    const consumer = await startConsumer(stub, 'transactional', decide, undefined, metrics, undefined, {
      recordFailure: recorder,
      logger,
    });
    const published = () =>
      stub.transactions.flatMap((t) => values(t.requests)) as unknown as {
        event_id: string;
        code: string;
        message: string;
        error: { code: string } | null;
      }[];
    const processingFailed = async () =>
      (await metrics.eventsProcessed.get()).values
        .filter((v) => v.labels.code === 'PROCESSING_FAILED')
        .reduce((sum, v) => sum + v.value, 0);
    return { stub, store, consumer, lines, unrecorded, published, processingFailed, metrics };
  }

  /** A decider that throws a TypeError whenever its batch holds the event of `contract`, and counts those calls. */
  const failingFor = (contract: string) => {
    const calls = { withCulprit: 0, alone: 0 };
    const wrap =
      (decide: BatchDecider): BatchDecider =>
      async (messages, options) => {
        if (messages.some((m) => m.eventId === `start-${contract}`)) {
          calls.withCulprit += 1;
          if (messages.length === 1) calls.alone += 1;
          throw bug();
        }
        return decide(messages, options);
      };
    return { calls, wrap };
  };

  it('gives the culprit event up as PROCESSING_FAILED after its attempts, and the others are accepted', async () => {
    const culprit = failingFor('u-2');
    const { stub, store, consumer, lines, published, processingFailed } = await setUp(culprit.wrap);
    await stub.deliver(batch(0, 0, CONTRACTS.map(startOf)));

    expect(published().map((o) => [o.event_id, o.code])).toEqual([
      ['start-u-1', 'ACCEPTED'],
      ['start-u-2', 'PROCESSING_FAILED'],
      ['start-u-3', 'ACCEPTED'],
    ]);
    const failed = published()[1]!;
    expect(failed.error?.code).toBe('PROCESSING_FAILED');
    expect(failed.message).toBe(
      `The event could not be processed after ${ATTEMPTS} attempts: unexpected TypeError: Cannot read properties of undefined (reading 'start')`,
    );
    expect(stub.resolved).toEqual(['2']);
    // Bounded: the batch as a whole, then the culprit alone, each ATTEMPTS times.
    expect(culprit.calls).toEqual({ withCulprit: 2 * ATTEMPTS, alone: ATTEMPTS });
    // Recorded like any permanent failure: in the ledger and the audit, no state touched.
    const { ledger, audit } = store.committed();
    expect(ledger.get('start-u-2')).toMatchObject({ status: 'error', code: 'PROCESSING_FAILED' });
    expect(audit.map((e) => [e.eventId, e.code])).toEqual([
      ['start-u-1', 'ACCEPTED'],
      ['start-u-2', 'PROCESSING_FAILED'],
      ['start-u-3', 'ACCEPTED'],
    ]);
    expect(store.contract('u-2')!.states).toEqual({});
    // What the ContractEventsProcessingFailed alert watches, and the line the runbook names.
    expect(await processingFailed()).toBe(1);
    const given = lines.filter((l) => l.msg === 'an event failed with an unexpected error');
    expect(given).toEqual([expect.objectContaining({ level: 50, event_id: 'start-u-2', offset: '1' })]);
    expect(consumer.status()).toEqual({ running: true, healthy: true, lastError: null });

    // Nothing stalls: the partition goes on.
    await stub.deliver(
      batch(0, 3, [
        {
          ...startOf('u-3'),
          value: Buffer.from(
            JSON.stringify({
              type: 'supply_energy_end',
              contract_number: 'u-3',
              date: '2024-02-01',
              created_at: '2024-01-02T00:00:00Z',
              event_id: 'end-u-3',
            }),
          ),
        },
      ]),
    );
    expect(
      published()
        .map((o) => o.code)
        .at(-1),
    ).toBe('ACCEPTED');
    await consumer.stop();
  });

  it('does not give up an event whose unexpected failure passes on the next attempt', async () => {
    let calls = 0;
    const { stub, consumer, published, processingFailed } = await setUp((decide) => async (messages, options) => {
      calls += 1;
      if (calls === 1) throw bug();
      return decide(messages, options);
    });
    await stub.deliver(batch(0, 0, CONTRACTS.map(startOf)));
    expect(published().map((o) => o.code)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
    expect(calls).toBe(2);
    expect(await processingFailed()).toBe(0);
    await consumer.stop();
  });

  it('still retries a database outage without limit, giving nothing up', async () => {
    let calls = 0;
    const { stub, consumer, published } = await setUp((decide) => async (messages, options) => {
      calls += 1;
      if (calls <= 4 * ATTEMPTS) throw new DatabaseError('Connection terminated', '57P01', 'retriable');
      return decide(messages, options);
    });
    await stub.deliver(batch(0, 0, CONTRACTS.map(startOf)));
    expect(published().map((o) => o.code)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
    expect(calls).toBe(4 * ATTEMPTS + 1);
    await consumer.stop();
  });

  it('publishes the outcome unrecorded when writing the failure down fails unexpectedly too', async () => {
    // The bug is in the store this time, so it hits the recorder's own transaction.
    const { stub, consumer, unrecorded, published, store } = await setUp((decide) => decide);
    const inTransaction = store.inTransaction.bind(store);
    store.inTransaction = (work) =>
      inTransaction((tx) =>
        work({
          ...tx,
          lockContracts: async (numbers) => {
            if (numbers.includes('u-2')) throw bug();
            return tx.lockContracts(numbers);
          },
        }),
      );
    await stub.deliver(batch(0, 0, CONTRACTS.map(startOf)));
    expect(published().map((o) => o.code)).toEqual(['ACCEPTED', 'PROCESSING_FAILED', 'ACCEPTED']);
    // Tried with the audit, then in the ledger only.
    expect(unrecorded).toEqual(['start-u-2', 'start-u-2']);
    expect(store.committed().ledger.has('start-u-2')).toBe(false);
    await consumer.stop();
  });

  it('stops at the event, publishing and committing nothing, when not even a failure outcome can be made', async () => {
    const culprit = failingFor('u-2');
    let recorderCalls = 0;
    const { stub, consumer, lines } = await setUp(culprit.wrap, async () => {
      recorderCalls += 1;
      throw bug();
    });
    const failure = await stub.deliver(batch(0, 0, CONTRACTS.map(startOf))).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnexpectedFailure);
    expect(failure).toMatchObject({ retriable: false, attempts: ATTEMPTS });
    expect(recorderCalls).toBe(ATTEMPTS);
    expect(stub.transactions).toEqual([]);
    expect(stub.resolved).toEqual([]);
    expect(consumer.status()).toMatchObject({ running: false, healthy: false });
    expect(lines.filter((l) => l.level === 60).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^consumer stopped: /),
    ]);
    await consumer.stop();
  });

  it('answers a message whose decoding throws (a bug) PROCESSING_FAILED, with its value, and decides the rest', async () => {
    const culprit = startOf('u-2');
    vi.mocked(decodeMessage).mockImplementation((raw) => {
      if (raw.value?.equals(culprit.value)) throw bug();
      return realDecode(raw);
    });
    const { stub, store, consumer, lines, published, processingFailed } = await setUp((decide) => decide);
    await stub.deliver(batch(0, 0, CONTRACTS.map(startOf)));

    expect(published().map((o) => o.code)).toEqual(['ACCEPTED', 'PROCESSING_FAILED', 'ACCEPTED']);
    const failed = published()[1] as unknown as {
      event_id: string;
      status: string;
      message: string;
      event: unknown;
      error: { code: string; details: { raw_base64: string; raw_bytes: number } };
    };
    expect(failed).toMatchObject({
      status: 'error',
      event: null,
      message:
        "The message could not be decoded: unexpected TypeError: Cannot read properties of undefined (reading 'start')",
    });
    expect(failed.error.code).toBe('PROCESSING_FAILED');
    expect(Buffer.from(failed.error.details.raw_base64, 'base64').equals(culprit.value)).toBe(true);
    expect(failed.error.details.raw_bytes).toBe(culprit.value.length);
    // Recorded under its position like any message answered with an error; no state touched.
    expect(store.committed().ledger.get(failed.event_id)).toMatchObject({ status: 'error', code: 'PROCESSING_FAILED' });
    expect(store.contract('u-2')!.states).toEqual({});
    expect(await processingFailed()).toBe(1);
    expect(lines.filter((l) => l.level === 50).map((l) => [l.msg, l.offset])).toEqual([
      ['a message could not be decoded (a bug); answered PROCESSING_FAILED', '1'],
    ]);
    expect(consumer.status()).toEqual({ running: true, healthy: true, lastError: null });
    await consumer.stop();
  });

  it('stops, instead of looping, when tracing the outcomes fails unexpectedly; the decisions stay recorded', async () => {
    let tracings = 0;
    vi.mocked(traceOutcomes).mockImplementation(() => {
      tracings += 1;
      throw bug();
    });
    const { stub, store, consumer, lines } = await setUp((decide) => decide);
    const failure = await stub.deliver(batch(0, 0, CONTRACTS.map(startOf))).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnexpectedFailure);
    expect((failure as UnexpectedFailure).cause).toBeInstanceOf(TypeError);
    // What the Kafka client asks before it restarts a crashed consumer: not this one.
    expect(classifyCrash(failure).retriable).toBe(false);
    expect(tracings).toBe(ATTEMPTS);
    expect(stub.transactions).toEqual([]);
    expect(lines.filter((l) => l.level === 60).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^consumer stopped: /),
    ]);
    expect([...store.committed().ledger.keys()]).toEqual(['start-u-1', 'start-u-2', 'start-u-3']);
    await consumer.stop();
  });

  it('stops, instead of looping, when building the outcomes fails unexpectedly; the decisions stay recorded', async () => {
    let decisions = 0;
    const { stub, store, consumer, lines, metrics } = await setUp((decide) => async (messages, options) => {
      decisions += 1;
      // A value JSON cannot write, as a serializer bug would leave in an outcome.
      return (await decide(messages, options)).map((o) => ({ ...o, message: { ...o.message, junk: 1n } }));
    });
    const failure = await stub.deliver(batch(0, 0, CONTRACTS.map(startOf))).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnexpectedFailure);
    expect((failure as UnexpectedFailure).cause).toBeInstanceOf(TypeError);
    expect(decisions).toBe(1);
    expect(stub.transactions).toEqual([]);
    expect(stub.resolved).toEqual([]);
    // One publish failure per retry before giving up.
    expect((await metrics.outcomePublishFailures.get()).values[0]?.value).toBe(ATTEMPTS - 1);
    expect(lines.filter((l) => l.level === 60).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^consumer stopped: /),
    ]);
    // Redelivered once it runs again, the chunk is answered from the ledger.
    expect([...store.committed().ledger.keys()]).toEqual(['start-u-1', 'start-u-2', 'start-u-3']);
    await consumer.stop();
  });
});
