import type { Action, ComponentType, EventType } from '../domain/catalogue.js';
import { Prisma } from '../generated/prisma/client.js';
import type { AuditedEvent } from '../schemas/audit.js';
import type { OutcomeCode, OutcomeStatus } from '../schemas/outcome.js';
import type { AuditPosition } from '../schemas/page-cursor.js';
import type { PrismaClient } from './prisma-client.js';
import { dateText, instantText } from './sql-time.js';

export interface AuditPage {
  events: AuditedEvent[];
  /** Where the next page starts; null when this one is the last. */
  next: AuditPosition | null;
}

export interface AuditLog {
  /** A contract's audited events, oldest first; undefined when the contract does not exist. */
  contractEvents(contractNumber: string, page: { after?: AuditPosition; limit: number }): Promise<AuditPage | undefined>;
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
  kafka_topic: string | null;
  kafka_partition: number | null;
  kafka_offset: string | null;
  processed_at: string;
}

export function createAuditLog(prisma: PrismaClient): AuditLog {
  return {
    async contractEvents(contractNumber, { after, limit }) {
      const contracts = await prisma.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM contracts WHERE contract_number = ${contractNumber}`;
      const contract = contracts[0];
      if (!contract) return undefined;
      // A row comparison on the sort key walks the (contract_id, event_created_at) index from the cursor on.
      const from = after ? Prisma.sql`AND (event_created_at, id) > (${after.createdAt}::timestamptz, ${after.id}::bigint)` : Prisma.empty;
      // One row more than asked tells whether another page follows.
      const rows = await prisma.$queryRaw<AuditRow[]>`
        SELECT id::text AS id, event_id, event_type AS type, component_type::text AS component, action,
               ${dateText(Prisma.raw('event_date'))} AS date,
               ${instantText(Prisma.raw('event_created_at'))} AS created_at,
               status::text AS status, code, message, kafka_topic, kafka_partition, kafka_offset::text AS kafka_offset,
               ${instantText(Prisma.raw('processed_at'))} AS processed_at
        FROM event_audit
        WHERE contract_id = ${contract.id}::bigint ${from}
        ORDER BY event_created_at, id
        LIMIT ${limit + 1}`;
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { events: page.map(toAuditedEvent), next: rows.length > limit && last ? { createdAt: last.created_at, id: last.id } : null };
    },
  };
}

function toAuditedEvent({ id: _id, kafka_topic, kafka_partition, kafka_offset, ...row }: AuditRow): AuditedEvent {
  const source = kafka_topic === null || kafka_partition === null || kafka_offset === null ? null : { transport: 'kafka' as const, topic: kafka_topic, partition: kafka_partition, offset: kafka_offset };
  return { ...row, source };
}
