import type { PrismaClient } from './prisma-client.js';

/**
 * Resolves when the database answers and takes writes. A read-only database
 * (a standby after a failover; default_transaction_read_only set, as managed
 * databases do when their disk fills) answers `SELECT 1` all the same, while
 * every decision fails with 25006: so the probe asks whether its session is
 * read-only, which covers both.
 */
export async function probeDatabase(prisma: PrismaClient): Promise<void> {
  const [row] = await prisma.$queryRaw<
    { read_only: string }[]
  >`SELECT current_setting('transaction_read_only') AS read_only`;
  if (row?.read_only !== 'off')
    throw new Error('the database is read-only (transaction_read_only is on): writes fail with SQLSTATE 25006');
}
