import type { Prisma } from '../generated/prisma/client.js';
import type { Outcome } from '../processing/outcome.js';
import type { PrismaClient } from './prisma-client.js';

// The outbox of outcomes decided over HTTP. Deciding transactions append to it
// holding a shared advisory lock; the relay drains it holding the exclusive
// one, so while it runs every row with a smaller id has committed and "all rows
// below id N are published" is a position that can be kept in Kafka.

type Tx = Prisma.TransactionClient;

/** The advisory lock key of the outbox (an arbitrary constant: "outbox" in ASCII). */
const OUTBOX_LOCK = 0x6f7574626f78;

export interface OutboxRow {
  id: bigint;
  outcome: Outcome;
}

export async function appendToOutbox(tx: Tx, outcomes: readonly Outcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${OUTBOX_LOCK}::bigint)`;
  await tx.$executeRaw`
    INSERT INTO outcome_outbox (event_id, message_key, message)
    SELECT * FROM unnest(${outcomes.map((o) => o.message.event_id)}::text[], ${outcomes.map((o) => o.key)}::text[], ${outcomes.map((o) => JSON.stringify(o.message))}::text[])`;
}

export interface OutboxDrain {
  /** Forgets rows below `nextId` (published by an earlier run that could not delete them) and reads the oldest rest. */
  pending(nextId: bigint, limit: number): Promise<OutboxRow[]>;
  /** Removes rows published up to `id`. */
  published(id: bigint): Promise<void>;
}

/** Runs `work` as the only drainer of the outbox, in one transaction: a failed publish leaves every row in place. */
export function drainOutbox<T>(prisma: PrismaClient, work: (drain: OutboxDrain) => Promise<T>): Promise<T> {
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${OUTBOX_LOCK}::bigint)`;
      return work({
        async pending(nextId, limit) {
          await tx.$executeRaw`DELETE FROM outcome_outbox WHERE id < ${nextId}`;
          const rows = await tx.$queryRaw<{ id: bigint; message_key: string | null; message: string }[]>`
            SELECT id, message_key, message FROM outcome_outbox ORDER BY id LIMIT ${limit}`;
          return rows.map((row) => ({ id: BigInt(row.id), outcome: { key: row.message_key, message: JSON.parse(row.message) as Outcome['message'] } }));
        },
        async published(id) {
          await tx.$executeRaw`DELETE FROM outcome_outbox WHERE id <= ${id}`;
        },
      });
    },
    { maxWait: 10_000, timeout: 60_000 },
  );
}
