import type { ComponentType, EventType } from '../domain/catalogue.js';
import { EMPTY_COMPONENT_STATE, type ComponentState } from '../domain/component-state.js';
import { acceptedState } from '../domain/decide.js';
import type { EventKey } from '../domain/event-order.js';
import { formatInstant } from '../domain/timestamp.js';
import { Prisma } from '../generated/prisma/client.js';
import {
  componentKey,
  type HistoryPosition,
  type PastEvent,
  type Revision,
  type StandingRevision,
} from '../processing/ports.js';
import type { OutcomeCode, OutcomeSource, OutcomeStatus } from '../schemas/outcome.js';
import { ledgerDecision, type LedgerRow } from './ledger-row.js';
import { dateText, instantText, storedInstant } from './sql-time.js';

// What EVENT_ORDER=created_at reads and writes besides the batch's own
// decisions: where a re-fold starts, the decided events after it, and the revisions.

type Tx = Prisma.TransactionClient;

/** An audited valid event of a component, as these queries select it. */
interface AuditedEventRow {
  contract_id: string;
  component: ComponentType;
  type: EventType;
  contract_number: string;
  date: string;
  created_at: string;
}

interface PastEventRow extends LedgerRow, AuditedEventRow {
  kafka_topic: string | null;
  kafka_partition: number | null;
  kafka_offset: string | null;
}

/** An audited event (a) with its current decision from the ledger (p). */
const PAST_EVENT_COLUMNS = Prisma.sql`
  a.contract_id::text AS contract_id, a.component_type::text AS component, a.event_type AS type, a.contract_number,
  ${dateText(Prisma.raw('a.event_date'))} AS date, ${instantText(Prisma.raw('a.event_created_at'))} AS created_at,
  a.kafka_topic, a.kafka_partition, a.kafka_offset::text AS kafka_offset,
  p.event_id, p.status::text AS status, p.code, p.message, p.error, p.source, p.fingerprint, p.revision,
  ${instantText(Prisma.raw('p.processed_at'))} AS processed_at`;

/** The `unnest` of positions, one row each: contract_id, component_type, at (null: the beginning) and event_id. */
function positionRows(positions: readonly HistoryPosition[]): Prisma.Sql {
  return Prisma.sql`unnest(
      ${positions.map((p) => p.ref.contractId)}::bigint[], ${positions.map((p) => p.ref.component)}::component_type[],
      ${positions.map((p) => (p.key ? formatInstant(p.key.createdAt) : null))}::timestamptz[],
      ${positions.map((p) => p.key?.eventId ?? null)}::text[]
    ) AS k(contract_id, component_type, at, event_id)`;
}

/**
 * A page of each component's audited valid events after its position, with
 * their current decisions, in created_at order (event ids compared by byte,
 * COLLATE "C": the code-point order compareEventKeys uses). Each page is a
 * range of the audit's (contract_id, event_created_at) index, so a late event
 * reads what follows it, never what comes before.
 */
export async function readComponentHistory(
  tx: Tx,
  positions: readonly HistoryPosition[],
  limit: number,
): Promise<Map<string, PastEvent[]>> {
  const history = new Map<string, PastEvent[]>();
  if (positions.length === 0) return history;
  const rows = await tx.$queryRaw<PastEventRow[]>`
    SELECT e.* FROM ${positionRows(positions)}
    CROSS JOIN LATERAL (
      SELECT ${PAST_EVENT_COLUMNS}, a.event_created_at AS sort_at
      FROM event_audit a
      JOIN processed_events p ON p.event_id = a.event_id
      WHERE a.contract_id = k.contract_id AND a.component_type = k.component_type
        AND a.status <> 'error' AND a.event_type IS NOT NULL AND a.event_date IS NOT NULL AND a.event_created_at IS NOT NULL
        AND a.event_created_at >= coalesce(k.at, '-infinity')
        AND (k.at IS NULL OR a.event_created_at > k.at OR a.event_id COLLATE "C" > k.event_id COLLATE "C")
      ORDER BY a.event_created_at, a.event_id COLLATE "C"
      LIMIT ${limit}
    ) e
    ORDER BY e.contract_id, e.component, e.sort_at, e.event_id COLLATE "C"`;
  for (const row of rows) {
    const key = componentKey({ contractId: row.contract_id, component: row.component });
    const events = history.get(key) ?? [];
    events.push(pastEvent(row));
    history.set(key, events);
  }
  return history;
}

/**
 * The state each component's fold had just before its position: its last
 * accepted start and its last accepted end before it, each one descent of the
 * ledger's partial index of accepted decisions (processed_events_accepted_idx),
 * however long the history.
 */
export async function readStatesBefore(
  tx: Tx,
  positions: readonly (HistoryPosition & { key: EventKey })[],
): Promise<Map<string, ComponentState>> {
  const states = new Map<string, ComponentState>(positions.map((p) => [componentKey(p.ref), EMPTY_COMPONENT_STATE]));
  if (positions.length === 0) return states;
  const rows = await tx.$queryRaw<AuditedEventRow[]>`
    SELECT k.contract_id::text AS contract_id, k.component_type::text AS component, a.event_type AS type, a.contract_number,
           ${dateText(Prisma.raw('a.event_date'))} AS date, ${instantText(Prisma.raw('a.event_created_at'))} AS created_at
    FROM ${positionRows(positions)}
    CROSS JOIN (VALUES ('start'), ('end')) AS m(action)
    CROSS JOIN LATERAL (
      SELECT p.event_id FROM processed_events p
      WHERE p.status = 'accepted' AND p.contract_id = k.contract_id AND p.component_type = k.component_type AND p.action = m.action
        AND p.event_created_at <= k.at
        AND (p.event_created_at < k.at OR p.event_id COLLATE "C" < k.event_id COLLATE "C")
      ORDER BY p.event_created_at DESC, p.event_id COLLATE "C" DESC
      LIMIT 1
    ) last
    JOIN event_audit a ON a.event_id = last.event_id`;
  for (const row of rows) {
    const key = componentKey({ contractId: row.contract_id, component: row.component });
    const event = {
      type: row.type,
      contractNumber: row.contract_number,
      date: row.date,
      createdAt: storedInstant(row.created_at),
    };
    states.set(key, acceptedState(states.get(key)!, event));
  }
  return states;
}

interface StandingRevisionRow extends PastEventRow {
  previous_status: OutcomeStatus;
  previous_code: OutcomeCode;
  caused_by: string;
  revised_at: string;
}

export async function readRevisionsCausedBy(tx: Tx, eventIds: readonly string[]): Promise<StandingRevision[]> {
  if (eventIds.length === 0) return [];
  // Only a revision that is still its event's current one: a later revision was announced after it.
  const rows = await tx.$queryRaw<StandingRevisionRow[]>`
    SELECT ${PAST_EVENT_COLUMNS}, r.previous_status::text AS previous_status, r.previous_code, r.caused_by,
           ${instantText(Prisma.raw('r.revised_at'))} AS revised_at
    FROM event_revisions r
    JOIN processed_events p ON p.event_id = r.event_id AND p.revision = r.revision
    JOIN event_audit a ON a.event_id = r.event_id
    WHERE r.caused_by = ANY(${eventIds}::text[])
    ORDER BY r.id`;
  return rows.map((row) => ({
    event: pastEvent(row),
    revises: {
      revision: row.revision - 1,
      status: row.previous_status,
      code: row.previous_code,
      caused_by: row.caused_by,
    },
    revisedAt: row.revised_at,
  }));
}

function pastEvent(row: PastEventRow): PastEvent {
  const event = {
    type: row.type,
    contractNumber: row.contract_number,
    date: row.date,
    createdAt: storedInstant(row.created_at),
  };
  return { eventId: row.event_id, event, decision: ledgerDecision(row), source: row.source ?? auditedSource(row) };
}

/** Decisions recorded before the ledger kept their source still have their Kafka position in the audit. */
function auditedSource(row: PastEventRow): OutcomeSource {
  const { kafka_topic: topic, kafka_partition: partition, kafka_offset: offset } = row;
  if (topic !== null && partition !== null && offset !== null) return { transport: 'kafka', topic, partition, offset };
  return { transport: 'http', request_id: 'unknown' };
}

export async function reviseDecisions(tx: Tx, revisions: readonly Revision[], revisedAt: string): Promise<void> {
  if (revisions.length === 0) return;
  const input = JSON.stringify(
    revisions.map((r) => ({
      event_id: r.eventId,
      revision: r.revision,
      status: r.decision.status,
      code: r.decision.code,
      message: r.decision.message,
      previous_status: r.previous.status,
      previous_code: r.previous.code,
      caused_by: r.causedBy,
    })),
  );
  // The ledger answers with the current decision; the revision log keeps every change.
  await tx.$executeRaw`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${input}::jsonb) AS t(
        event_id text, revision int, status outcome_status, code text, message text,
        previous_status outcome_status, previous_code text, caused_by text)
    ),
    ledger AS (
      UPDATE processed_events p SET status = i.status, code = i.code, message = i.message, revision = i.revision
      FROM input i WHERE p.event_id = i.event_id
    )
    INSERT INTO event_revisions (event_id, revision, status, code, message, previous_status, previous_code, caused_by, revised_at)
    SELECT event_id, revision, status, code, message, previous_status, previous_code, caused_by, ${revisedAt}::timestamptz FROM input`;
}
