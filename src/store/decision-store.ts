import { formatInstant, type Micros } from '../domain/timestamp.js';
import { readContractStates } from './contract-states.js';
import { storeFailure } from './database-failure.js';
import { ServiceError } from '../errors.js';
import { Prisma } from '../generated/prisma/client.js';
import type {
  DecisionEntry,
  DecisionStore,
  DecisionTransaction,
  LedgerDecision,
  StateChange,
} from '../processing/ports.js';
import { readComponentHistory, readRevisionsCausedBy, readStatesBefore, reviseDecisions } from './event-history.js';
import { ledgerDecision, type LedgerRow } from './ledger-row.js';
import { appendToOutbox } from './outcome-outbox.js';
import { instantText } from './sql-time.js';
import type { PrismaClient } from './prisma-client.js';

type Tx = Prisma.TransactionClient;

export interface TransactionTimings {
  onTransaction?: (seconds: number) => void;
}

/** The decision store on Postgres: every method is one bulk statement. */
export function createDecisionStore(prisma: PrismaClient, timings: TransactionTimings = {}): DecisionStore {
  return {
    async inTransaction(work) {
      const started = performance.now();
      let workFailure: unknown;
      try {
        return await prisma.$transaction(
          (tx) =>
            work(decisionTransaction(tx)).catch((error: unknown) => {
              workFailure = error;
              throw error;
            }),
          { maxWait: 10_000, timeout: 60_000 },
        );
      } catch (error) {
        // Classified failures pass through: the queries' (the database's) and our own.
        // So does a bug of the work between its queries (a TypeError in a rule): no
        // outage, to be retried forever. The rest (BEGIN, COMMIT, a connection) is classified.
        if (error instanceof ServiceError || error === workFailure) throw error;
        throw storeFailure(error);
      } finally {
        timings.onTransaction?.((performance.now() - started) / 1000);
      }
    },
  };
}

function decisionTransaction(tx: Tx): DecisionTransaction {
  return {
    lockContracts: query((numbers) => readContractStates(tx, numbers, { forUpdate: true })),
    findDecisions: query((eventIds) => findDecisions(tx, eventIds)),
    saveStates: query((changes) => saveStates(tx, changes)),
    recordDecisions: query((entries, audit) => recordDecisions(tx, entries, audit)),
    componentHistory: query((positions, limit) => readComponentHistory(tx, positions, limit)),
    statesBefore: query((positions) => readStatesBefore(tx, positions)),
    revisionsCausedBy: query((eventIds) => readRevisionsCausedBy(tx, eventIds)),
    reviseDecisions: query((revisions, revisedAt) => reviseDecisions(tx, revisions, revisedAt)),
    enqueueOutcomes: query((outcomes, trace) => appendToOutbox(tx, outcomes, trace)),
  };
}

/**
 * A method of the transaction whose failures are classified: what its queries
 * throw (node-postgres' plain "Connection terminated unexpectedly" included)
 * is a DatabaseError; a bug of the method's own code stays unclassified.
 */
function query<A extends unknown[], R>(method: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) => method(...args).catch((error: unknown) => Promise.reject(storeFailure(error)));
}

const textOrNull = (micros: Micros | null): string | null => (micros === null ? null : formatInstant(micros));

async function findDecisions(tx: Tx, eventIds: readonly string[]): Promise<Map<string, LedgerDecision>> {
  if (eventIds.length === 0) return new Map();
  const rows = await tx.$queryRaw<LedgerRow[]>`
    SELECT event_id, status::text AS status, code, message, error, source, fingerprint, revision,
           ${instantText(Prisma.raw('processed_at'))} AS processed_at
    FROM processed_events
    WHERE event_id = ANY(${eventIds}::text[])`;
  return new Map(rows.map((row) => [row.event_id, ledgerDecision(row)]));
}

/** Upserts component states with their fold position, in one statement (the consumer's write; also replay's repair). */
export async function saveStates(tx: Tx, changes: readonly StateChange[]): Promise<void> {
  if (changes.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO component_states (contract_id, component_type, start_date, start_event_created_at, end_date, end_event_created_at,
                                  folded_created_at, folded_event_id, updated_at)
    SELECT c.contract_id, c.component_type, c.start_date, c.start_created_at, c.end_date, c.end_created_at,
           c.folded_created_at, c.folded_event_id, now()
    FROM unnest(
      ${changes.map((c) => c.contractId)}::bigint[],
      ${changes.map((c) => c.component)}::component_type[],
      ${changes.map((c) => c.state.startDate)}::date[],
      ${changes.map((c) => textOrNull(c.state.startEventCreatedAt))}::timestamptz[],
      ${changes.map((c) => c.state.endDate)}::date[],
      ${changes.map((c) => textOrNull(c.state.endEventCreatedAt))}::timestamptz[],
      ${changes.map((c) => textOrNull(c.folded?.createdAt ?? null))}::timestamptz[],
      ${changes.map((c) => c.folded?.eventId ?? null)}::text[]
    ) AS c(contract_id, component_type, start_date, start_created_at, end_date, end_created_at, folded_created_at, folded_event_id)
    ON CONFLICT (contract_id, component_type) DO UPDATE SET
      start_date = EXCLUDED.start_date,
      start_event_created_at = EXCLUDED.start_event_created_at,
      end_date = EXCLUDED.end_date,
      end_event_created_at = EXCLUDED.end_event_created_at,
      folded_created_at = EXCLUDED.folded_created_at,
      folded_event_id = EXCLUDED.folded_event_id,
      updated_at = EXCLUDED.updated_at`;
}

async function recordDecisions(tx: Tx, entries: readonly DecisionEntry[], audit: boolean): Promise<number> {
  if (entries.length === 0) return 0;
  // The batch travels as one JSON document: cheaper to build than sixteen
  // parallel arrays, and Postgres unpacks it into typed columns in one call.
  const input = JSON.stringify(
    entries.map((e, position) => ({
      position,
      event_id: e.eventId,
      status: e.status,
      code: e.code,
      message: e.message,
      contract_id: e.contractId,
      contract_number: e.contractNumber,
      event_type: e.eventType,
      component_type: e.component,
      action: e.action,
      event_date: e.eventDate,
      event_created_at: textOrNull(e.eventCreatedAt),
      error: e.error,
      source: e.source,
      processed_at: e.processedAt,
      fingerprint: e.fingerprint,
      revision: e.revision,
    })),
  );
  // One statement writes the idempotency ledger and, for the rows it really
  // inserted, the audit; a conflicting event id is left to the caller to notice.
  const rows = await tx.$queryRaw<{ recorded: number }[]>`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${input}::jsonb) AS t(
        position int, event_id text, status outcome_status, code text, message text, contract_id bigint,
        contract_number text, event_type text, component_type component_type, action text, event_date date,
        event_created_at timestamptz, error jsonb, source jsonb, processed_at timestamptz, fingerprint text, revision int)
    ),
    ledger AS (
      INSERT INTO processed_events (event_id, status, code, message, error, source, processed_at, fingerprint, revision,
                                    contract_id, component_type, action, event_created_at)
      SELECT event_id, status, code, message, error, source, processed_at, fingerprint, revision,
             contract_id, component_type, action, event_created_at
      FROM input ORDER BY position
      ON CONFLICT (event_id) DO NOTHING
      RETURNING event_id
    ),
    audited AS (
      INSERT INTO event_audit (event_id, contract_id, contract_number, event_type, component_type, action, event_date,
                               event_created_at, status, code, message, error, kafka_topic, kafka_partition, kafka_offset, processed_at)
      SELECT i.event_id, i.contract_id, i.contract_number, i.event_type, i.component_type, i.action, i.event_date,
             i.event_created_at, i.status, i.code, i.message, i.error,
             i.source->>'topic', (i.source->>'partition')::int, (i.source->>'offset')::bigint, i.processed_at
      FROM input i JOIN ledger USING (event_id)
      WHERE ${audit}
      ORDER BY i.position
    )
    SELECT count(*)::int AS recorded FROM ledger`;
  return rows[0]?.recorded ?? 0;
}
