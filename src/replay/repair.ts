import type { EventOrder } from '../processing/event-order.js';
import { createPrismaClient, type PrismaClient } from '../store/prisma-client.js';
import { checkWith, compareSnapshot, type CheckOptions, type CheckResult } from './consistency-check.js';
import { lockLiveContract, readSnapshots } from './contract-snapshot.js';
import type { Difference } from './state-difference.js';
import { saveStates } from '../store/decision-store.js';

export interface RepairOptions extends CheckOptions {
  /** Told after every contract repaired: how many so far, and how many differed. */
  onRepairProgress?: (repaired: number, total: number) => void;
}

export interface RepairResult {
  /** The check that found what to repair. */
  check: CheckResult;
  /** The differences rewritten, as found under each contract's lock (stored: what was overwritten). */
  repaired: Difference[];
  /** Contracts that differed at the check but no longer did under the lock, or were deleted meanwhile: nothing to write. */
  unchanged: number;
}

/**
 * Checks, then rewrites the states that differ: one transaction per
 * contract, which takes the contract's row lock as the consumer does and
 * recomputes from the audit under it (the consumer may have moved on since
 * the check), so it is safe while the service runs.
 */
export async function repairStates(options: RepairOptions): Promise<RepairResult> {
  const prisma = createPrismaClient(options.databaseUrl, 2);
  try {
    const check = await checkWith(prisma, options);
    const contractIds = [...new Set(check.differences.map((difference) => difference.contractId))];
    const result: RepairResult = { check, repaired: [], unchanged: 0 };
    for (const [index, contractId] of contractIds.entries()) {
      const repaired = await repairContract(prisma, contractId, options.eventOrder);
      if (repaired.length === 0) result.unchanged += 1;
      result.repaired.push(...repaired);
      options.onRepairProgress?.(index + 1, contractIds.length);
    }
    return result;
  } finally {
    await prisma.$disconnect();
  }
}

/** Rewrites one live contract's differing states under its lock; returns what it changed (nothing when deleted meanwhile). */
export function repairContract(
  prisma: PrismaClient,
  contractId: string,
  eventOrder: EventOrder,
): Promise<Difference[]> {
  return prisma.$transaction(
    async (tx) => {
      const contract = await lockLiveContract(tx, contractId);
      if (!contract) return [];
      // Read in statements after the lock: every batch that held it before us has committed and is seen.
      const [snapshot] = await readSnapshots(tx, [contract]);
      const { components, differences } = compareSnapshot(snapshot!, eventOrder);
      // No fold position: in created_at mode the consumer re-folds the component at its next event, and so
      // announces the revisions of any decision made in another order (say, before EVENT_ORDER was switched).
      const rewrite = differences.map(({ component }) => ({
        contractId: contract.id,
        component,
        state: components.get(component)!,
        folded: null,
      }));
      await saveStates(tx, rewrite);
      return differences;
    },
    { maxWait: 10_000, timeout: 60_000 },
  );
}
