import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient };

/** Longest a statement, and a wait for a lock, may take on a connection; Postgres cancels it then (57014 / 55P03). */
export interface SessionTimeouts {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

export interface PoolOptions {
  /** Without them a statement may run as long as it needs (the consumer must finish its transaction). */
  timeouts?: SessionTimeouts;
  /**
   * A connection is replaced once this old (once it is back in the pool, never
   * mid-transaction); none or 0: kept as long as it works. Settings made with
   * ALTER DATABASE or ALTER ROLE (default_transaction_read_only, as managed
   * databases set when their disk fills) reach new sessions only: without a
   * lifetime a pool would keep its read-only connections after the setting
   * is reset, and never recover by itself.
   */
  maxLifetimeSeconds?: number;
}

/** Prisma 7 without a query engine binary: queries go through node-postgres (pg-pool). */
export function createPrismaClient(
  databaseUrl: string,
  poolSize: number,
  { timeouts, maxLifetimeSeconds }: PoolOptions = {},
): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    ...(maxLifetimeSeconds && { maxLifetimeSeconds }),
    // node-postgres sends these as session settings when it connects.
    ...(timeouts && { statement_timeout: timeouts.statementTimeoutMs, lock_timeout: timeouts.lockTimeoutMs }),
  });
  return new PrismaClient({ adapter });
}
