import type { Prisma } from '../generated/prisma/client.js';
import type { Outcome } from '../processing/outcome.js';
import type { TraceHeaders } from '../processing/ports.js';
import type { PrismaClient } from './prisma-client.js';

// The outbox of outcomes decided over HTTP. Ids are given in insert order but
// commit in any order, so the relay only publishes *sealed* rows: sealing takes
// the outbox lock exclusively, which waits for every appender in flight (they
// hold it shared) and marks what has committed. Every id below the largest
// sealed one is then sealed or never existed, and "all rows below id N are
// published" is a position the relay can keep in Kafka. Ids go backwards after
// a database restore or a RESTART IDENTITY, so the position also names row
// N - 1 by its random uid. The Kafka work itself runs under a second lock that
// only relays take, so a slow broker never blocks a deciding transaction.

type Tx = Prisma.TransactionClient;

/** Advisory lock keys: appenders and sealing ("outbox" in ASCII), and the relay that publishes ("relay"). */
const APPEND_LOCK = 0x6f7574626f78;
const RELAY_LOCK = 0x72656c6179;

export interface OutboxRow {
  id: bigint;
  /** Random: tells this row from another that had or will have the same id. */
  uid: string;
  outcome: Outcome;
  /** The trace context of the request that decided it, when it had a valid one. */
  trace: TraceHeaders | undefined;
}

export async function appendToOutbox(tx: Tx, outcomes: readonly Outcome[], trace?: TraceHeaders): Promise<void> {
  if (outcomes.length === 0) return;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${APPEND_LOCK}::bigint)`;
  await tx.$executeRaw`
    INSERT INTO outcome_outbox (event_id, message_key, message, traceparent, tracestate)
    SELECT *, ${trace?.traceparent ?? null}::text, ${trace?.tracestate ?? null}::text
    FROM unnest(${outcomes.map((o) => o.message.event_id)}::text[], ${outcomes.map((o) => o.key)}::text[], ${outcomes.map((o) => JSON.stringify(o.message))}::text[])`;
}

export interface OutboxDrain {
  /** The oldest sealed rows, in id order. */
  pending(limit: number): Promise<OutboxRow[]>;
  /** Removes the rows up to `through.id` when that row is still there with `through.uid`; false when it is not. */
  published(through: Pick<OutboxRow, 'id' | 'uid'>): Promise<boolean>;
}

/**
 * Seals what has committed, then runs `work` as the only relay, in one
 * transaction: a failed publish leaves every row in place. When another relay
 * is at work, `work` sees an empty outbox.
 */
export async function drainOutbox<T>(prisma: PrismaClient, work: (drain: OutboxDrain) => Promise<T>): Promise<T> {
  await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${APPEND_LOCK}::bigint)`;
    await tx.$executeRaw`UPDATE outcome_outbox SET sealed = true WHERE NOT sealed`;
  });
  return prisma.$transaction(
    async (tx) => {
      const [lock] = await tx.$queryRaw<
        { relay: boolean }[]
      >`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}::bigint) AS relay`;
      const relay = lock?.relay === true;
      return work({
        async pending(limit) {
          if (!relay) return [];
          // Every outcome appended has a key (an HTTP decision's contract number); the column allows null, so the event id stands in.
          const rows = await tx.$queryRaw<
            {
              id: bigint;
              uid: string;
              message_key: string;
              message: string;
              traceparent: string | null;
              tracestate: string | null;
            }[]
          >`
            SELECT id, uid::text, COALESCE(message_key, event_id) AS message_key, message, traceparent, tracestate FROM outcome_outbox WHERE sealed ORDER BY id LIMIT ${limit}`;
          return rows.map((row) => ({
            id: BigInt(row.id),
            uid: row.uid,
            outcome: { key: row.message_key, message: JSON.parse(row.message) as Outcome['message'] },
            trace:
              row.traceparent === null
                ? undefined
                : { traceparent: row.traceparent, ...(row.tracestate === null ? {} : { tracestate: row.tracestate }) },
          }));
        },
        async published({ id, uid }) {
          const deleted = await tx.$executeRaw`
            DELETE FROM outcome_outbox WHERE id <= ${id} AND sealed
            AND EXISTS (SELECT 1 FROM outcome_outbox WHERE id = ${id} AND uid::text = ${uid} AND sealed)`;
          return deleted > 0;
        },
      });
    },
    { maxWait: 10_000, timeout: 120_000 },
  );
}
