import type { ComponentType } from '../domain/catalogue.js';
import { formatInstant, type Micros } from '../domain/timestamp.js';
import { Prisma } from '../generated/prisma/client.js';
import type { StoredContract } from '../processing/ports.js';
import { readContractStates } from './contract-states.js';
import type { PrismaClient } from './prisma-client.js';
import { instantText } from './sql-time.js';

export interface ContractRecord {
  contractNumber: string;
  components: ComponentType[];
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ` */
  createdAt: string;
}

export interface ContractRepository {
  /** Creates the contract; undefined when the number is taken. */
  create(contract: {
    contractNumber: string;
    components: ComponentType[];
    createdAt?: Micros;
  }): Promise<ContractRecord | undefined>;
  find(contractNumber: string): Promise<ContractRecord | undefined>;
  /** The contract with its component states, for timelines. */
  findWithStates(contractNumber: string): Promise<StoredContract | undefined>;
  /**
   * Deletes the live contract: its row stays, marked deleted by `deletedBy` (a credential label), with its
   * audited events; its component states go, so the number starts afresh when created again. False when absent.
   */
  delete(contractNumber: string, deletedBy: string): Promise<boolean>;
}

interface ContractRow {
  contract_number: string;
  components: ComponentType[];
  created_at: string;
}

export function createContractRepository(prisma: PrismaClient): ContractRepository {
  return {
    async create({ contractNumber, components, createdAt }) {
      const created =
        createdAt === undefined ? Prisma.sql`now()` : Prisma.sql`${formatInstant(createdAt)}::timestamptz`;
      const rows = await prisma.$queryRaw<ContractRow[]>`
        INSERT INTO contracts (contract_number, components, created_at)
        VALUES (${contractNumber}, ${components}::component_type[], ${created})
        ON CONFLICT (contract_number) WHERE deleted_at IS NULL DO NOTHING
        RETURNING contract_number, components::text[] AS components, ${instantText(Prisma.raw('created_at'))} AS created_at`;
      return rows[0] && toRecord(rows[0]);
    },
    async find(contractNumber) {
      const rows = await prisma.$queryRaw<ContractRow[]>`
        SELECT contract_number, components::text[] AS components, ${instantText(Prisma.raw('created_at'))} AS created_at
        FROM contracts WHERE contract_number = ${contractNumber} AND deleted_at IS NULL`;
      return rows[0] && toRecord(rows[0]);
    },
    // The same read the decider uses, without its lock.
    findWithStates: async (contractNumber) =>
      (await readContractStates(prisma, [contractNumber], { forUpdate: false })).get(contractNumber),
    delete: (contractNumber, deletedBy) =>
      // Two statements: the second, with a snapshot taken once the row lock is ours, sees every state a
      // consumer that held the lock before us committed. Consumers that wait for it find the contract deleted.
      prisma.$transaction(async (tx) => {
        const deleted = await tx.$queryRaw<{ id: string }[]>`
          UPDATE contracts SET deleted_at = now(), deleted_by = ${deletedBy}
          WHERE contract_number = ${contractNumber} AND deleted_at IS NULL
          RETURNING id::text AS id`;
        const incarnation = deleted[0];
        if (!incarnation) return false;
        await tx.$executeRaw`DELETE FROM component_states WHERE contract_id = ${incarnation.id}::bigint`;
        return true;
      }),
  };
}

function toRecord(row: ContractRow): ContractRecord {
  return { contractNumber: row.contract_number, components: row.components, createdAt: row.created_at };
}
