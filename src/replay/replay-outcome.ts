import { isEventType } from '../domain/catalogue.js';
import { formatInstant } from '../domain/timestamp.js';
import type { Outcome } from '../processing/outcome.js';
import { eventIdSchema } from '../schemas/event.js';
import { outcomeMessageSchema, type OutcomeMessage, type OutcomeSource } from '../schemas/outcome.js';
import type { LedgerRow } from '../store/ledger-row.js';
import { storedInstant } from '../store/sql-time.js';

/** One decision of the ledger (its current one) with its event as the audit holds it (audit columns null without an audit row). */
export interface LedgerOutcomeRow extends Omit<LedgerRow, 'fingerprint'> {
  type: string | null;
  contract_number: string | null;
  date: string | null;
  created_at: string | null;
  kafka_topic: string | null;
  kafka_partition: number | null;
  kafka_offset: string | null;
}

/**
 * The outcome of a recorded decision, re-published for a downstream that lost
 * it: the shape the service publishes, with the ledger's current decision,
 * revision and processed_at, `duplicate: false`, `revises: null` and
 * `replay: true`. Throws when the row makes no valid outcome.
 */
export function replayOutcome(row: LedgerOutcomeRow): Outcome {
  const event = auditedEvent(row);
  const message: OutcomeMessage = {
    event_id: event === null ? answeredEventId(row) : row.event_id,
    status: row.status,
    code: row.code,
    message: row.message,
    duplicate: false,
    event,
    error: row.status === 'error' ? (row.error ?? { code: row.code, message: row.message }) : null,
    source: row.source ?? auditedSource(row),
    processed_at: row.processed_at,
    revision: row.revision,
    revises: null,
    replay: true,
  };
  const checked = outcomeMessageSchema.safeParse(message);
  if (!checked.success)
    throw new TypeError(`The decision of ${row.event_id} makes no valid outcome: ${checked.error.message}`);
  // Every outcome is keyed. The input's own key is not stored: without the event, the ledger's id (for
  // unreadable input its position id, the key its first outcome had when the input had none).
  return { key: event?.contract_number ?? row.event_id, message };
}

function auditedEvent(row: LedgerOutcomeRow): OutcomeMessage['event'] {
  const { type, contract_number, date, created_at } = row;
  if (type === null || contract_number === null || date === null || created_at === null || !isEventType(type))
    return null;
  return { type, contract_number, date, created_at: formatInstant(storedInstant(created_at)) };
}

/**
 * The event_id an outcome for input that was not a valid event carried: the
 * producer's, read again from the value its error quotes when the quote is
 * whole, else the ledger's id (derived from the message's position).
 */
function answeredEventId(row: LedgerOutcomeRow): string {
  const details = row.error?.details;
  if (typeof details !== 'object' || details === null || !('raw' in details) || typeof details.raw !== 'string')
    return row.event_id;
  if ('raw_truncated' in details && details.raw_truncated !== false) return row.event_id;
  let json: unknown;
  try {
    json = JSON.parse(details.raw);
  } catch {
    return row.event_id;
  }
  if (typeof json !== 'object' || json === null || !('event_id' in json)) return row.event_id;
  const producerId = eventIdSchema.safeParse(json.event_id);
  return producerId.success ? producerId.data : row.event_id;
}

/** Decisions recorded before the ledger kept their source have their Kafka position in the audit. */
function auditedSource(row: LedgerOutcomeRow): OutcomeSource {
  const { kafka_topic: topic, kafka_partition: partition, kafka_offset: offset } = row;
  if (topic !== null && partition !== null && offset !== null) return { transport: 'kafka', topic, partition, offset };
  return { transport: 'http', request_id: 'unknown' };
}
