import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from '../../../src/kafka/outbox-relay.js';
import type { OutcomeDeliveryMode } from '../../../src/kafka/outcome-delivery.js';
import { createSizedSender } from '../../../src/kafka/sized-sender.js';
import { createPositionDelivery } from '../../../src/kafka/position-delivery.js';
import { createLogger } from '../../../src/observability/logger.js';
import { validMessage } from '../../../src/processing/decode-message.js';
import { buildOutcome } from '../../../src/processing/outcome.js';
import type { OutboxDrain, OutboxRow } from '../../../src/store/outcome-outbox.js';
import { createStubKafka, type StubKafka } from '../../support/stub-kafka.js';

// The outbox relay against a stub of the Kafka client and an outbox in
// memory: which rows it publishes and which it only deletes, by what its
// position in Kafka says.

const TRANSACTIONAL_ID = 'g-http-outbox';
const POSITION_GROUP = 'g.http-outbox';
const TOPIC = 'outcomes';

const row = (id: number): OutboxRow => {
  const decoded = validMessage(
    {
      type: 'supply_energy_start',
      contract_number: 'c-1',
      date: '2024-12-01',
      created_at: '2024-11-20T10:00:00Z',
      event_id: `e-${id}`,
    },
    { transport: 'http', request_id: `req-${id}` },
  );
  const outcome = buildOutcome(
    decoded,
    { status: 'accepted', code: 'ACCEPTED', message: 'Event processed successfully.' },
    false,
    '2026-01-01T00:00:00.000000Z',
  );
  return { id: BigInt(id), uid: randomUUID(), outcome, trace: undefined };
};

/** The outbox table as drainOutbox treats it: every row sealed, one relay at a time; `failDeletes` thrown by the next deletes. */
function memoryOutbox(rows: OutboxRow[], failDeletes: unknown[] = []) {
  let table = [...rows];
  const outbox: OutboxDrain = {
    pending: async (limit) => table.slice(0, limit),
    async published({ id, uid }) {
      if (failDeletes.length > 0) throw failDeletes.shift();
      if (!table.some((r) => r.id === id && r.uid === uid)) return false;
      table = table.filter((r) => r.id > id);
      return true;
    },
  };
  return { rows: () => table, drain: <T>(work: (drain: OutboxDrain) => Promise<T>) => work(outbox) };
}

/** Sets the relay's committed position as an earlier relay's transaction would have. */
function commitPosition(stub: StubKafka, nextOffset: bigint, metadata: string | null) {
  stub.groupOffsets.set(0, nextOffset);
  stub.groupMetadata.set(0, metadata);
}

let relay: OutboxRelay | undefined;
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
});

function start(
  stub: StubKafka,
  outbox: ReturnType<typeof memoryOutbox>,
  mode: OutcomeDeliveryMode = 'transactional',
  overrides: Partial<OutboxRelayOptions> = {},
) {
  const warnings: Record<string, unknown>[] = [];
  const ahead = { count: 0 };
  const failures = { count: 0 };
  const logger = createLogger('warn', {
    write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>),
  });
  relay = startOutboxRelay({
    delivery: createPositionDelivery({
      kafka: stub.client,
      mode,
      send: createSizedSender(1_048_588, () => undefined),
      outcomesTopic: TOPIC,
      positionGroupId: POSITION_GROUP,
      transactionalId: TRANSACTIONAL_ID,
      compression: 'none',
    }),
    drain: outbox.drain,
    intervalMs: 10,
    retry: { initialMs: 1, maxMs: 5 },
    maxAttempts: 2,
    logger,
    onPublishFailure: () => void (failures.count += 1),
    onPositionAhead: () => void (ahead.count += 1),
    ...overrides,
  });
  return { warnings, ahead, failures };
}

const publishedIds = (stub: StubKafka) =>
  stub.transactions.flatMap((t) => t.requests.flat().map((m) => m.headers['event-id']));

describe('the outbox relay', () => {
  it('only deletes the rows its committed position names, and names the last row it publishes', async () => {
    const stub = createStubKafka();
    const rows = [row(1), row(2), row(3)];
    const outbox = memoryOutbox(rows);
    commitPosition(stub, 3n, rows[1]!.uid); // a relay published rows 1 and 2, then died before it could delete them
    const { ahead } = start(stub, outbox);
    await expect.poll(() => outbox.rows()).toEqual([]);
    expect(publishedIds(stub)).toEqual(['e-3']);
    expect(stub.transactions.at(-1)!.consumed).toEqual({
      groupId: POSITION_GROUP,
      topic: TOPIC,
      partition: 0,
      nextOffset: '4',
      metadata: rows[2]!.uid,
    });
    expect(ahead.count).toBe(0);
  });

  it.each([
    ['names a row that is gone (a restore)', 101n, randomUUID()],
    ['names its row by an id a new row now has (RESTART IDENTITY)', 3n, randomUUID()],
    ['names no row (committed without one)', 3n, null],
  ])('publishes the rows below a position that %s, once each, and says so', async (_case, next, uid) => {
    const stub = createStubKafka();
    const rows = [row(1), row(2), row(3), row(4)];
    const outbox = memoryOutbox(rows);
    commitPosition(stub, next, uid);
    const { warnings, ahead } = start(stub, outbox);
    await expect.poll(() => outbox.rows()).toEqual([]);
    expect(publishedIds(stub)).toEqual(['e-1', 'e-2', 'e-3', 'e-4']);
    expect(stub.groupOffsets.get(0)).toBe(5n);
    expect(stub.groupMetadata.get(0)).toBe(rows[3]!.uid);
    expect(ahead.count).toBe(1);
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 40,
        position: String(next),
        oldestId: '1',
        msg: expect.stringContaining('ahead of the outbox'),
      }),
    ]);
  });

  it('fences an older relay before it reads its position, so that one cannot commit behind it', async () => {
    const stub = createStubKafka();
    const rows = [row(1), row(2)];
    const outbox = memoryOutbox(rows);
    // An older relay, cut off from Postgres but not from Kafka, is about to commit row 1.
    const older = await stub.client.connectTransactionalPublisher(TRANSACTIONAL_ID);
    const read = stub.client.committedOffset;
    let olderCommitted: boolean | undefined;
    stub.client.committedOffset = async (...args) => {
      const position = await read(...args);
      olderCommitted = await older
        .sendInTransaction(TOPIC, [[{ key: 'c-1', value: 'e-1', headers: { 'event-id': 'e-1' } }]], {
          groupId: POSITION_GROUP,
          topic: TOPIC,
          partition: 0,
          nextOffset: '2',
          metadata: rows[0]!.uid,
        })
        .then(
          () => true,
          () => false,
        );
      return position;
    };
    start(stub, outbox);
    await expect.poll(() => outbox.rows()).toEqual([]);
    expect(publishedIds(stub)).toEqual(['e-1', 'e-2']);
    expect(olderCommitted).toBe(false);
  });

  it('publishes every row at least once without a transaction or a position when delivery is at-least-once', async () => {
    const stub = createStubKafka();
    const rows = [row(1), row(2), row(3)];
    const outbox = memoryOutbox(rows);
    commitPosition(stub, 3n, rows[1]!.uid); // a position is no business of this mode: nothing is skipped for it
    const { ahead } = start(stub, outbox, 'at-least-once');
    await expect.poll(() => outbox.rows()).toEqual([]);
    expect(stub.sent.flat().map((m) => m.headers['event-id'])).toEqual(['e-1', 'e-2', 'e-3']);
    expect(stub.transactions).toEqual([]);
    expect(stub.groupOffsets.get(0)).toBe(3n);
    expect(ahead.count).toBe(0);
  });
});

describe('the outbox relay when publishing fails', () => {
  const kafkaFailure = (type: string) => Object.assign(new Error(`${type} (stub)`), { type });
  const lineOf = ({ level, msg, attempt, firstId, lastId }: Record<string, unknown>) => ({
    level,
    msg,
    attempt,
    firstId,
    lastId,
  });
  const RETRYING = 'publishing outcomes of HTTP decisions failed; retrying';
  const STUCK = 'publishing outcomes of HTTP decisions keeps failing; they stay in the outbox and are tried again';

  it('retries an outage without limit, at warn, and publishes every row once', async () => {
    const stub = createStubKafka();
    const outbox = memoryOutbox([row(1), row(2)]);
    stub.failNext.push(...Array.from({ length: 4 }, () => kafkaFailure('LEADER_NOT_AVAILABLE')));
    const { warnings, failures } = start(stub, outbox);
    await expect.poll(() => outbox.rows()).toEqual([]);
    expect(publishedIds(stub)).toEqual(['e-1', 'e-2']);
    expect(warnings.map(lineOf)).toEqual(
      [1, 2, 3, 4].map((attempt) => ({ level: 40, msg: RETRYING, attempt, firstId: '1', lastId: '2' })),
    );
    expect(failures.count).toBe(4);
  });

  it('says at error which rows are stuck after maxAttempts unexpected failures, keeps them, and publishes them once it passes', async () => {
    const stub = createStubKafka();
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    const outbox = memoryOutbox([row(1), row(2), row(3)], [bug, bug]);
    const { warnings, failures } = start(stub, outbox);
    await expect.poll(() => outbox.rows()).toEqual([]);
    // Published before the first failed delete; the position then says so, and they are only deleted.
    expect(publishedIds(stub)).toEqual(['e-1', 'e-2', 'e-3']);
    expect(warnings.map(lineOf)).toEqual([
      { level: 40, msg: RETRYING, attempt: 1, firstId: '1', lastId: '3' },
      { level: 50, msg: STUCK, attempt: undefined, firstId: '1', lastId: '3' },
    ]);
    expect(failures.count).toBe(2);
  });

  it('says at error at once when the failure is permanent, keeps the rows, and publishes them once it is fixed', async () => {
    const stub = createStubKafka();
    const outbox = memoryOutbox([row(1), row(2)]);
    stub.failNext.push(kafkaFailure('TOPIC_AUTHORIZATION_FAILED'));
    const { warnings, failures } = start(stub, outbox);
    await expect.poll(() => outbox.rows()).toEqual([]);
    expect(publishedIds(stub)).toEqual(['e-1', 'e-2']);
    expect(warnings.map(lineOf)).toEqual([{ level: 50, msg: STUCK, attempt: undefined, firstId: '1', lastId: '2' }]);
    expect(warnings[0]!.err).toMatchObject({
      type: 'KafkaError',
      message: expect.stringContaining('TOPIC_AUTHORIZATION_FAILED'),
    });
    expect(failures.count).toBe(1);
  });

  /** A relay over one row whose first publication fails with a Kafka error of `type`, once it has failed. */
  async function failedOnce(type: string, retry: OutboxRelayOptions['retry']) {
    const stub = createStubKafka();
    const outbox = memoryOutbox([row(1)]);
    stub.failNext.push(kafkaFailure(type));
    const { failures } = start(stub, outbox, 'transactional', { retry });
    await expect.poll(() => failures.count).toBe(1);
    return { stub, outbox };
  }

  it('keeps its pace once stuck: new rows do not cut its wait short', async () => {
    const { stub, outbox } = await failedOnce('TOPIC_AUTHORIZATION_FAILED', { initialMs: 1, maxMs: 60_000 });
    for (let request = 0; request < 3; request += 1) relay!.wake();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(publishedIds(stub)).toEqual([]);
    expect(outbox.rows()).toHaveLength(1);
  });

  it('stops during a wait between attempts without waiting it out, and publishes what it can on the way out', async () => {
    const { stub, outbox } = await failedOnce('LEADER_NOT_AVAILABLE', { initialMs: 60_000, maxMs: 60_000 });
    const stopAt = Date.now();
    await relay!.stop();
    relay = undefined;
    // Waiting on would take the rest of the wait's first second, nearly all of it.
    expect(Date.now() - stopAt).toBeLessThan(500);
    expect(publishedIds(stub)).toEqual(['e-1']);
    expect(outbox.rows()).toEqual([]);
  });
});
