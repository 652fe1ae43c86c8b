import type { Action, ComponentType, EventType } from '../domain/catalogue.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AuditedEvent } from '../schemas/audit.js';
import type { ContractIncarnation } from '../schemas/contract-history.js';
import type { OutcomeCode, OutcomeStatus } from '../schemas/outcome.js';
import type { AuditPosition } from '../schemas/page-cursor.js';
import type { PrismaClient } from './prisma-client.js';
import { dateText, instantText } from './sql-time.js';

export interface AuditPage {
  /** The contract row (incarnation of the number) whose events these are. */
  incarnation: string;
  events: AuditedEvent[];
  /** Where the next page starts; null when this one is the last. */
  next: AuditPosition | null;
}

export interface AuditLog {
  /**
   * A contract's audited events with their current decisions, oldest first: those of the live contract, or of
   * `incarnation` (live or deleted); undefined when there is no live contract, or the incarnation is not this number's.
   */
  contractEvents(
    contractNumber: string,
    page: { incarnation?: string; after?: AuditPosition; limit: number },
  ): Promise<AuditPage | undefined>;
  /** Every contract created under this number, deleted ones included, oldest first; empty when there never was one. */
  contractHistory(contractNumber: string): Promise<ContractIncarnation[]>;
}

interface AuditRow {
  id: string;
  event_id: string;
  type: EventType;
  component: ComponentType;
  action: Action;
  date: string;
  created_at: string;
  status: OutcomeStatus;
  code: OutcomeCode;
  message: string;
  revision: number;
  kafka_topic: string | null;
  kafka_partition: number | null;
  kafka_offset: string | null;
  processed_at: string;
}

export function createAuditLog(prisma: PrismaClient): AuditLog {
  return {
    async contractEvents(contractNumber, { incarnation, after, limit }) {
      const which =
        incarnation === undefined ? Prisma.sql`deleted_at IS NULL` : Prisma.sql`id = ${incarnation}::bigint`;
      const contracts = await prisma.$queryRaw<{ id: string }[]>`
        SELECT id::text AS id FROM contracts WHERE contract_number = ${contractNumber} AND ${which}`;
      const contract = contracts[0];
      if (!contract) return undefined;
      // A row comparison on the sort key walks the (contract_id, event_created_at) index from the cursor on.
      const from = after
        ? Prisma.sql`AND (a.event_created_at, a.id) > (${after.createdAt}::timestamptz, ${after.id}::bigint)`
        : Prisma.empty;
      // The audit keeps each event's first decision; the ledger its current one (a revised decision, revision > 0).
      // A left join, so an event whose ledger row is gone still shows, with its first decision.
      // One row more than asked tells whether another page follows.
      const rows = await prisma.$queryRaw<AuditRow[]>`
        SELECT a.id::text AS id, a.event_id, a.event_type AS type, a.component_type::text AS component, a.action,
               ${dateText(Prisma.raw('a.event_date'))} AS date,
               ${instantText(Prisma.raw('a.event_created_at'))} AS created_at,
               COALESCE(p.status, a.status)::text AS status, COALESCE(p.code, a.code) AS code,
               COALESCE(p.message, a.message) AS message, COALESCE(p.revision, 0) AS revision,
               a.kafka_topic, a.kafka_partition, a.kafka_offset::text AS kafka_offset,
               ${instantText(Prisma.raw('a.processed_at'))} AS processed_at
        FROM event_audit a LEFT JOIN processed_events p ON p.event_id = a.event_id
        WHERE a.contract_id = ${contract.id}::bigint ${from}
        ORDER BY a.event_created_at, a.id
        LIMIT ${limit + 1}`;
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        incarnation: contract.id,
        events: page.map(toAuditedEvent),
        next: rows.length > limit && last ? { createdAt: last.created_at, id: last.id } : null,
      };
    },
    contractHistory: (contractNumber) => prisma.$queryRaw<ContractIncarnation[]>`
      SELECT id::text AS incarnation, components::text[] AS components,
             ${instantText(Prisma.raw('created_at'))} AS created_at,
             ${instantText(Prisma.raw('deleted_at'))} AS deleted_at, deleted_by
      FROM contracts WHERE contract_number = ${contractNumber}
      ORDER BY id`,
  };
}

function toAuditedEvent({ id: _id, kafka_topic, kafka_partition, kafka_offset, ...row }: AuditRow): AuditedEvent {
  const source =
    kafka_topic === null || kafka_partition === null || kafka_offset === null
      ? null
      : { transport: 'kafka' as const, topic: kafka_topic, partition: kafka_partition, offset: kafka_offset };
  return { ...row, source };
}
