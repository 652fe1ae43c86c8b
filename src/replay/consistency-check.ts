import { COMPONENT_TYPES, type ComponentType } from '../domain/catalogue.js';
import { Prisma } from '../generated/prisma/client.js';
import type { EventOrder } from '../processing/event-order.js';
import { createPrismaClient, type PrismaClient } from '../store/prisma-client.js';
import type { ComponentState } from '../domain/component-state.js';
import { recomputeComponent } from './audit-fold.js';
import { countLiveContracts, readLiveContracts, readSnapshots, type ContractSnapshot } from './contract-snapshot.js';
import { differingFields, EMPTY_STATE_TEXT, stateText, type Difference } from './state-difference.js';

export interface CheckOptions {
  databaseUrl: string;
  eventOrder: EventOrder;
  /** Only the live contract with this number. */
  contract?: string;
  /** Contracts read per page (default 500). */
  pageSize?: number;
  /** Told after every page: contracts checked so far, and how many there are. */
  onProgress?: (checked: number, total: number) => void;
}

export interface CheckResult {
  eventOrder: EventOrder;
  /** Live contracts checked. */
  contracts: number;
  /** Components checked: the configured ones, and any other that has a stored row. */
  components: number;
  /** Every component whose stored state is not what its audit gives, in contract id order. */
  differences: Difference[];
}

export const DEFAULT_PAGE_SIZE = 500;

/**
 * Recomputes every live contract's component states from the audit, in the
 * given event order, and compares them with the stored ones. Reads a page of
 * contracts at a time, each page (contracts, states, audit) in one
 * repeatable-read snapshot, so a consumer committing meanwhile never shows
 * as a difference.
 */
export async function checkConsistency(options: CheckOptions): Promise<CheckResult> {
  const prisma = createPrismaClient(options.databaseUrl, 2);
  try {
    return await checkWith(prisma, options);
  } finally {
    await prisma.$disconnect();
  }
}

export async function checkWith(
  prisma: PrismaClient,
  options: Omit<CheckOptions, 'databaseUrl'>,
): Promise<CheckResult> {
  const { eventOrder, contract, pageSize = DEFAULT_PAGE_SIZE, onProgress } = options;
  const total = await countLiveContracts(prisma, contract);
  const result: CheckResult = { eventOrder, contracts: 0, components: 0, differences: [] };
  let after: string | null = null;
  for (;;) {
    const snapshots = await inSnapshot(prisma, async (tx) =>
      readSnapshots(tx, await readLiveContracts(tx, { after, limit: pageSize, contractNumber: contract })),
    );
    for (const snapshot of snapshots) {
      const compared = compareSnapshot(snapshot, eventOrder);
      result.contracts += 1;
      result.components += compared.components.size;
      result.differences.push(...compared.differences);
    }
    onProgress?.(result.contracts, Math.max(total, result.contracts));
    if (snapshots.length < pageSize) return result;
    after = snapshots.at(-1)!.id;
  }
}

export interface SnapshotComparison {
  /** Each compared component with the state its audit gives. */
  components: Map<ComponentType, ComponentState>;
  differences: Difference[];
}

/** Compares one contract's stored states with those its audit gives. */
export function compareSnapshot(snapshot: ContractSnapshot, eventOrder: EventOrder): SnapshotComparison {
  const components = new Map<ComponentType, ComponentState>();
  const differences: Difference[] = [];
  for (const component of COMPONENT_TYPES) {
    if (!snapshot.components.includes(component) && !snapshot.stored.has(component)) continue;
    const recomputed = recomputeComponent(snapshot, component, snapshot.events.get(component) ?? [], eventOrder);
    components.set(component, recomputed);
    const fields = differingFields(snapshot.stored.get(component) ?? EMPTY_STATE_TEXT, stateText(recomputed));
    if (fields.length > 0)
      differences.push({ contractId: snapshot.id, contractNumber: snapshot.contractNumber, component, fields });
  }
  return { components, differences };
}

function inSnapshot<T>(prisma: PrismaClient, work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SET TRANSACTION READ ONLY`;
      return work(tx);
    },
    { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead, maxWait: 10_000, timeout: 300_000 },
  );
}
