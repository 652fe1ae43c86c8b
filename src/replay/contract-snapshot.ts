import { isComponentType, isEventType, type ComponentType } from '../domain/catalogue.js';
import { Prisma } from '../generated/prisma/client.js';
import { dateText, instantText, storedInstant } from '../store/sql-time.js';
import type { AuditedEvent } from './audit-fold.js';
import type { StateText } from './state-difference.js';

// What a replay reads of live contracts: the contract rows, their stored
// component states and the events their audit holds as decided against them.

type Queryable = Pick<Prisma.TransactionClient, '$queryRaw'>;

export interface LiveContract {
  id: string;
  contractNumber: string;
  components: ComponentType[];
}

/** A live contract with its stored states (by component; a missing row is the empty state) and its audited events. */
export interface ContractSnapshot extends LiveContract {
  stored: Map<ComponentType, StateText>;
  /** By component, in the audit's id order (the order they were decided in). */
  events: Map<ComponentType, AuditedEvent[]>;
}

interface ContractRow {
  id: string;
  contract_number: string;
  components: string[];
}

/** A page of live contracts in id order, after `after` (keyset), optionally only the one with `contractNumber`. */
export async function readLiveContracts(
  db: Queryable,
  page: { after: string | null; limit: number; contractNumber?: string },
): Promise<LiveContract[]> {
  const after = page.after === null ? Prisma.empty : Prisma.sql`AND c.id > ${page.after}::bigint`;
  const only =
    page.contractNumber === undefined ? Prisma.empty : Prisma.sql`AND contract_number = ${page.contractNumber}`;
  const rows = await db.$queryRaw<ContractRow[]>`
    SELECT id::text AS id, contract_number, components::text[] AS components
    FROM contracts c WHERE deleted_at IS NULL ${after} ${only}
    ORDER BY c.id LIMIT ${page.limit}`;
  return rows.map(liveContract);
}

/** How many live contracts a check will read. */
export async function countLiveContracts(db: Queryable, contractNumber?: string): Promise<number> {
  const only = contractNumber === undefined ? Prisma.empty : Prisma.sql`AND contract_number = ${contractNumber}`;
  const rows = await db.$queryRaw<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM contracts WHERE deleted_at IS NULL ${only}`;
  return rows[0]?.n ?? 0;
}

/**
 * Locks a live contract's row as the consumer does (src/store/contract-states.ts),
 * so no batch decides its events until the transaction ends; undefined when it
 * was deleted meanwhile.
 */
export async function lockLiveContract(db: Queryable, id: string): Promise<LiveContract | undefined> {
  const rows = await db.$queryRaw<ContractRow[]>`
    SELECT id::text AS id, contract_number, components::text[] AS components
    FROM contracts WHERE id = ${id}::bigint AND deleted_at IS NULL
    FOR UPDATE`;
  return rows[0] && liveContract(rows[0]);
}

interface StateRow extends StateText {
  contract_id: string;
  component: string;
}

interface AuditRow {
  contract_id: string;
  component: string;
  event_id: string;
  type: string;
  date: string;
  created_at: string;
}

/** The stored states and audited events of these contracts: two queries, whatever their number. */
export async function readSnapshots(db: Queryable, contracts: readonly LiveContract[]): Promise<ContractSnapshot[]> {
  if (contracts.length === 0) return [];
  const ids = contracts.map((contract) => contract.id);
  const states = await db.$queryRaw<StateRow[]>`
    SELECT contract_id::text AS contract_id, component_type::text AS component,
           ${dateText(Prisma.raw('start_date'))} AS start_date,
           ${instantText(Prisma.raw('start_event_created_at'))} AS start_event_created_at,
           ${dateText(Prisma.raw('end_date'))} AS end_date,
           ${instantText(Prisma.raw('end_event_created_at'))} AS end_event_created_at
    FROM component_states WHERE contract_id = ANY(${ids}::bigint[])`;
  // Error decisions (invalid input, PROCESSING_FAILED) never touched a state. The audit's id order is the
  // order they were decided in (ORDER BY names the table's columns: the text aliases would sort as text).
  const audit = await db.$queryRaw<AuditRow[]>`
    SELECT contract_id::text AS contract_id, component_type::text AS component, event_id, event_type AS type,
           ${dateText(Prisma.raw('event_date'))} AS date, ${instantText(Prisma.raw('event_created_at'))} AS created_at
    FROM event_audit
    WHERE contract_id = ANY(${ids}::bigint[]) AND status <> 'error'
      AND component_type IS NOT NULL AND event_type IS NOT NULL AND event_date IS NOT NULL AND event_created_at IS NOT NULL
    ORDER BY event_audit.id`;
  const snapshots = new Map(
    contracts.map((contract) => [
      contract.id,
      { ...contract, stored: new Map(), events: new Map() } as ContractSnapshot,
    ]),
  );
  for (const { contract_id, component, ...text } of states) {
    snapshots.get(contract_id)?.stored.set(componentType(component), text);
  }
  for (const row of audit) {
    const snapshot = snapshots.get(row.contract_id);
    if (!snapshot) continue;
    const component = componentType(row.component);
    const events = snapshot.events.get(component) ?? [];
    events.push(auditedEvent(row, snapshot.contractNumber));
    snapshot.events.set(component, events);
  }
  return [...snapshots.values()];
}

function liveContract(row: ContractRow): LiveContract {
  return { id: row.id, contractNumber: row.contract_number, components: row.components.map(componentType) };
}

function componentType(text: string): ComponentType {
  if (!isComponentType(text)) throw new TypeError(`Postgres returned an unknown component type: ${text}`);
  return text;
}

function auditedEvent(row: AuditRow, contractNumber: string): AuditedEvent {
  const createdAt = storedInstant(row.created_at);
  if (!isEventType(row.type))
    throw new TypeError(`The audit holds an unknown event type for ${row.event_id}: ${row.type}`);
  return { eventId: row.event_id, event: { type: row.type, contractNumber, date: row.date, createdAt } };
}
