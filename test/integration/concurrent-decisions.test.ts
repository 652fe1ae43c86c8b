import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../../src/http/app.js';
import { withLostRacesRetried } from '../../src/kafka/backoff.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider, type BatchDecider } from '../../src/processing/decide-batch.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import type { DecodedMessage } from '../../src/processing/decoded-message.js';
import type { Outcome } from '../../src/processing/outcome.js';
import type { SourcePosition } from '../../src/schemas/outcome.js';
import { createAuditLog } from '../../src/store/audit-log.js';
import { createContractRepository } from '../../src/store/contracts.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';

// Two writers decide the same events at the same moment, for a contract that
// does not exist: no contract row is locked, so nothing serialises them but
// the idempotency ledger. Every event must be decided once, recorded once,
// audited once, and answered the same way to both; only one of the two input
// messages (the one whose decision stands) is answered `duplicate: false`.

/** The same events decided at once this many times: the race must really happen. */
const ROUNDS = 60;
const EVENTS_PER_BATCH = 4;
const GHOST = 'ghost-contract';
const TOPIC = 'contract-events';

let db: TestDatabase;
const clients: PrismaClient[] = [];
let deciderA: BatchDecider;
let deciderB: BatchDecider;

/** A Prisma client (and so a connection pool) of its own. */
function ownPool(url: string): PrismaClient {
  const prisma = createPrismaClient(url, 2);
  clients.push(prisma);
  return prisma;
}

/** A decider over `prisma`, its lost races retried as every caller in the service retries them. */
const deciderOver = (prisma: PrismaClient): BatchDecider =>
  withLostRacesRetried(
    createBatchDecider({ store: createDecisionStore(prisma), clock: systemClock, auditEnabled: true }),
  );

/**
 * The HTTP sidecar over a decider of its own. The only place that knows the
 * app's dependencies, so a change of their shape is adapted here alone.
 */
async function ownHttpApp(url: string): Promise<FastifyInstance> {
  const prisma = ownPool(url);
  return buildHttpApp({
    logger: createLogger('silent'),
    metrics: createMetrics(),
    contracts: createContractRepository(prisma),
    auditLog: createAuditLog(prisma),
    decideBatch: deciderOver(prisma),
    readiness: async () => ({ ready: true, checks: { database: 'ok', kafka: 'ok', consumer: 'ok' } }),
  });
}

/** A position in the events topic (built apart from the literal so an added field needs one change here). */
function kafkaSource(partition: number, offset: number): SourcePosition {
  const position = { transport: 'kafka', topic: TOPIC, partition, offset: String(offset) } as const;
  return position;
}

/** `partition/offset` of an answer's source. */
function positionOf(source: unknown): string {
  const { partition, offset } = source as { partition: number; offset: string };
  return `${partition}/${offset}`;
}

/** The JSON of one event of round `round`: half carry a producer id, half get a derived one. */
function eventValue(round: number, index: number): string {
  const fields = {
    type: index % 2 === 0 ? 'supply_energy_start' : 'battery_optimization_end',
    contract_number: GHOST,
    date: '2024-12-01',
    created_at: `2024-11-20T10:${String(round % 60).padStart(2, '0')}:${String(index).padStart(2, '0')}.${String(round).padStart(6, '0')}Z`,
  };
  return JSON.stringify(index < EVENTS_PER_BATCH / 2 ? { ...fields, event_id: `race-${round}-${index}` } : fields);
}

/** One copy of a round's batch, consumed at its own Kafka position. */
function consumedBatch(round: number, partition: number, firstOffset: number): DecodedMessage[] {
  return Array.from({ length: EVENTS_PER_BATCH }, (_, index) =>
    decodeMessage({
      key: Buffer.from(GHOST),
      value: Buffer.from(eventValue(round, index)),
      source: kafkaSource(partition, firstOffset + index),
    }),
  );
}

const query = (text: string) => withClient(db.url, async (client) => (await client.query(text)).rows);

/** How many ledger and audit rows each event id has, and where its audit row says it came from. */
async function recordsByEventId(): Promise<
  Map<string, { ledger: number; audit: number; auditOffsets: (string | null)[] }>
> {
  const records = new Map<string, { ledger: number; audit: number; auditOffsets: (string | null)[] }>();
  const entry = (id: string) => records.get(id) ?? records.set(id, { ledger: 0, audit: 0, auditOffsets: [] }).get(id)!;
  for (const row of await query('SELECT event_id FROM processed_events')) entry(row.event_id as string).ledger += 1;
  for (const row of await query(
    'SELECT event_id, kafka_partition, kafka_offset::text AS kafka_offset FROM event_audit',
  )) {
    const record = entry(row.event_id as string);
    record.audit += 1;
    record.auditOffsets.push(
      row.kafka_offset === null ? null : `${row.kafka_partition as number}/${row.kafka_offset as string}`,
    );
  }
  return records;
}

/** Both settled without an error; otherwise fails naming the reasons. */
function fulfilled<T>(results: PromiseSettledResult<T>[], round: number): T[] {
  const reasons = results.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : []));
  expect(reasons, `round ${round}: no racing call may fail`).toEqual([]);
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

beforeAll(async () => {
  db = await createTestDatabase();
  deciderA = deciderOver(ownPool(db.url));
  deciderB = deciderOver(ownPool(db.url));
});
afterAll(async () => {
  await Promise.all(clients.map((prisma) => prisma.$disconnect()));
  await db?.drop();
});
beforeEach(async () => {
  await query('TRUNCATE contracts, component_states, processed_events, event_audit');
});

describe('two writers deciding the same events at once for a contract that does not exist', () => {
  it('records every event exactly once and answers both copies with one decision, exactly one of them not a duplicate', async () => {
    const expectedIds = new Set<string>();
    const winners = new Map<string, string>();
    for (let round = 0; round < ROUNDS; round += 1) {
      // The same events, consumed twice at different positions (as when a
      // producer re-sends them): copy A on partition 0, copy B on partition 1.
      const copyA = consumedBatch(round, 0, round * EVENTS_PER_BATCH);
      const copyB = consumedBatch(round, 1, round * EVENTS_PER_BATCH);
      expect(copyB.map((m) => m.eventId)).toEqual(copyA.map((m) => m.eventId));
      const [answersA, answersB] = fulfilled(await Promise.allSettled([deciderA(copyA), deciderB(copyB)]), round) as [
        Outcome[],
        Outcome[],
      ];

      expect(answersA).toHaveLength(EVENTS_PER_BATCH);
      expect(answersB).toHaveLength(EVENTS_PER_BATCH);
      for (let index = 0; index < EVENTS_PER_BATCH; index += 1) {
        const a = answersA[index]!.message;
        const b = answersB[index]!.message;
        const eventId = copyA[index]!.eventId;
        expectedIds.add(eventId);
        for (const answer of [a, b]) {
          expect(answer).toMatchObject({
            event_id: eventId,
            status: 'rejected',
            code: 'CONTRACT_NOT_FOUND',
            message: `Contract ${GHOST} not found.`,
          });
        }
        // Each answer names the message it answers.
        expect(a.source).toEqual(copyA[index]!.source);
        expect(b.source).toEqual(copyB[index]!.source);
        expect(
          [a.duplicate, b.duplicate].filter((duplicate) => !duplicate),
          `round ${round}, event ${index}: exactly one first decision`,
        ).toHaveLength(1);
        const first = a.duplicate ? b : a;
        winners.set(eventId, positionOf(first.source));
      }
    }

    const records = await recordsByEventId();
    expect(new Set(records.keys())).toEqual(expectedIds);
    for (const [eventId, record] of records) {
      expect({ eventId, ledger: record.ledger, audit: record.audit }).toEqual({ eventId, ledger: 1, audit: 1 });
      // The audit row is that of the message whose decision stands.
      expect(record.auditOffsets).toEqual([winners.get(eventId)]);
    }
  });

  it('decides an event sent over HTTP and consumed from Kafka at once exactly once', async () => {
    const app = await ownHttpApp(db.url);
    try {
      const expectedIds = new Set<string>();
      for (let round = 0; round < ROUNDS; round += 1) {
        const value = eventValue(round, round % EVENTS_PER_BATCH);
        const consumed = decodeMessage({
          key: Buffer.from(GHOST),
          value: Buffer.from(value),
          source: kafkaSource(0, round),
        });
        expectedIds.add(consumed.eventId);
        const [posted, kafka] = fulfilled(
          await Promise.allSettled([
            app.inject({ method: 'POST', url: '/events', payload: JSON.parse(value) as object }),
            deciderA([consumed]).then(([outcome]) => outcome!.message),
          ]),
          round,
        ) as [Awaited<ReturnType<FastifyInstance['inject']>>, Outcome['message']];

        expect(posted.statusCode, posted.body).toBe(200);
        const overHttp = posted.json<{ event_id: string; status: string; code: string; duplicate: boolean }>();
        for (const answer of [overHttp, kafka]) {
          expect(answer).toMatchObject({ event_id: consumed.eventId, status: 'rejected', code: 'CONTRACT_NOT_FOUND' });
        }
        expect(
          [overHttp.duplicate, kafka.duplicate].filter((duplicate) => !duplicate),
          `round ${round}: exactly one first decision`,
        ).toHaveLength(1);
      }
      const records = await recordsByEventId();
      expect(new Set(records.keys())).toEqual(expectedIds);
      for (const [eventId, record] of records)
        expect({ eventId, ledger: record.ledger, audit: record.audit }).toEqual({ eventId, ledger: 1, audit: 1 });
    } finally {
      await app.close();
    }
  });
});
