import type { ComponentType } from '../domain/catalogue.js';
import type { ComponentState } from '../domain/component-state.js';
import type { Micros } from '../domain/timestamp.js';
import { Prisma } from '../generated/prisma/client.js';
import type { StoredContract } from '../processing/ports.js';
import { dateText, instantText, storedInstant } from './sql-time.js';

type Queryable = Pick<Prisma.TransactionClient, '$queryRaw'>;

interface ContractStateRow {
  id: string;
  contract_number: string;
  components: ComponentType[];
  component: ComponentType | null;
  start_date: string | null;
  start_created_at: string | null;
  end_date: string | null;
  end_created_at: string | null;
  folded_created_at: string | null;
  folded_event_id: string | null;
}

/**
 * Reads contracts with their component states; a deleted
 * contract reads as absent. With `forUpdate` the contract rows stay locked
 * until the transaction ends, in id order so that concurrent batches cannot
 * deadlock each other; one deleted while we waited for its lock is skipped.
 * The lock is taken in a statement of its own: a statement that waited for a
 * lock still reads with the snapshot it started with, so the states must be
 * read by the next one, to see what the lock's previous holder (a batch, a
 * repair) committed.
 */
export async function readContractStates(
  db: Queryable,
  numbers: readonly string[],
  { forUpdate }: { forUpdate: boolean },
): Promise<Map<string, StoredContract>> {
  const contracts = new Map<string, StoredContract>();
  if (numbers.length === 0) return contracts;
  let which = Prisma.sql`contract_number = ANY(${numbers}::text[]) AND deleted_at IS NULL`;
  if (forUpdate) {
    const locked = await db.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM contracts WHERE ${which} ORDER BY contracts.id FOR UPDATE`;
    which = Prisma.sql`id = ANY(${locked.map((row) => row.id)}::bigint[])`;
  }
  const rows = await db.$queryRaw<ContractStateRow[]>`
    WITH picked AS (
      SELECT id, contract_number, components FROM contracts WHERE ${which}
    )
    SELECT p.id::text AS id, p.contract_number, p.components::text[] AS components,
           s.component_type::text AS component,
           ${dateText(Prisma.raw('s.start_date'))} AS start_date,
           ${instantText(Prisma.raw('s.start_event_created_at'))} AS start_created_at,
           ${dateText(Prisma.raw('s.end_date'))} AS end_date,
           ${instantText(Prisma.raw('s.end_event_created_at'))} AS end_created_at,
           ${instantText(Prisma.raw('s.folded_created_at'))} AS folded_created_at, s.folded_event_id
    FROM picked p LEFT JOIN component_states s ON s.contract_id = p.id`;
  for (const row of rows) {
    let contract = contracts.get(row.contract_number);
    if (!contract) {
      contract = {
        id: row.id,
        contractNumber: row.contract_number,
        components: row.components,
        states: {},
        folded: {},
      };
      contracts.set(row.contract_number, contract);
    }
    if (!row.component) continue;
    contract.states = { ...contract.states, [row.component]: stateFromRow(row) };
    const foldedAt = instantOrNull(row.folded_created_at);
    if (foldedAt !== null && row.folded_event_id !== null) {
      contract.folded = { ...contract.folded, [row.component]: { createdAt: foldedAt, eventId: row.folded_event_id } };
    }
  }
  return contracts;
}

function stateFromRow(row: ContractStateRow): ComponentState {
  return {
    startDate: row.start_date,
    startEventCreatedAt: instantOrNull(row.start_created_at),
    endDate: row.end_date,
    endEventCreatedAt: instantOrNull(row.end_created_at),
  };
}

function instantOrNull(text: string | null): Micros | null {
  return text === null ? null : storedInstant(text);
}
