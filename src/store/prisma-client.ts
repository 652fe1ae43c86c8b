import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient };

/** Longest a statement, and a wait for a lock, may take on a connection; Postgres cancels it then (57014 / 55P03). */
export interface SessionTimeouts {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

/**
 * Prisma 7 without a query engine binary: queries go through node-postgres.
 * Without timeouts a statement may run as long as it needs (the consumer must
 * finish its transaction); with them every connection of the pool has them.
 */
export function createPrismaClient(databaseUrl: string, poolSize: number, timeouts?: SessionTimeouts): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    // node-postgres sends these as session settings when it connects.
    ...(timeouts && { statement_timeout: timeouts.statementTimeoutMs, lock_timeout: timeouts.lockTimeoutMs }),
  });
  return new PrismaClient({ adapter });
}
