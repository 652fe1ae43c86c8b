import { decodeMessage } from '../../../src/processing/decode-message.js';
import { formatInstant } from '../../../src/domain/timestamp.js';
import type { KafkaClient } from '../../../src/kafka/kafka-client.js';
import { withClient } from '../database.js';
import type { ReadOutcome } from '../outcome-reader.js';
import type { TopicRecord } from '../topic-reader.js';
import { ReferenceModel, componentOf } from './reference-model.js';

export interface Reconciliation {
  scenario: string;
  eventsProduced: number;
  distinctEventIds: number;
  outcomesSeen: number;
  duplicates: number;
  auditRows: number;
  mismatches: string[];
}

interface ProducedMessage {
  record: TopicRecord;
  eventId: string;
  reference: { type: string; contract: string; date: string; createdAt: string } | null;
}

/** Identifies what was produced, the way the service must: event ids and validity per message. */
function identify(records: readonly TopicRecord[], topic: string): ProducedMessage[] {
  return records.map((record) => {
    const decoded = decodeMessage({
      key: record.key === null ? null : Buffer.from(record.key),
      value: record.value,
      source: { topic, partition: record.partition, offset: record.offset },
    });
    const reference =
      decoded.kind === 'valid'
        ? { type: decoded.event.type, contract: decoded.event.contractNumber, date: decoded.event.date, createdAt: formatInstant(decoded.event.createdAt) }
        : null;
    return { record, eventId: decoded.eventId, reference };
  });
}

/**
 * The full reconciliation of a scenario: every event id audited exactly once;
 * final states equal to the reference model folded in Kafka's order; every
 * message answered, and every answer for one event id the same decision.
 */
export async function reconcile(options: {
  scenario: string;
  topic: string;
  produced: readonly TopicRecord[];
  outcomes: readonly ReadOutcome[];
  databaseUrl: string;
  contracts: ReadonlyMap<string, readonly string[]>;
}): Promise<Reconciliation> {
  const mismatches: string[] = [];
  const messages = identify(options.produced, options.topic);
  const model = new ReferenceModel(options.contracts);
  const expectedCode = new Map<string, string>();
  for (const message of messages) {
    if (expectedCode.has(message.eventId)) continue; // redelivered or re-sent: decided once
    expectedCode.set(message.eventId, message.reference ? model.apply(message.reference) : 'invalid');
  }

  const byPosition = new Map<string, ReadOutcome[]>();
  const byEventId = new Map<string, Set<string>>();
  for (const outcome of options.outcomes) {
    const { source, event_id: eventId, status, code } = outcome.message;
    const position = `${source?.partition}/${source?.offset}`;
    byPosition.set(position, [...(byPosition.get(position) ?? []), outcome]);
    byEventId.set(eventId, (byEventId.get(eventId) ?? new Set()).add(`${status}/${code}`));
  }
  for (const message of messages) {
    const position = `${message.record.partition}/${message.record.offset}`;
    const answers = byPosition.get(position);
    if (!answers) {
      mismatches.push(`no outcome for ${position}`);
      continue;
    }
    for (const answer of answers) {
      const expected = expectedCode.get(message.eventId);
      if (answer.message.event_id !== message.eventId) mismatches.push(`${position}: outcome for ${answer.message.event_id}, expected ${message.eventId}`);
      else if (expected !== 'invalid' && answer.message.code !== expected) mismatches.push(`${position}: ${answer.message.code}, reference says ${expected}`);
    }
  }
  for (const [eventId, decisions] of byEventId) {
    if (decisions.size > 1) mismatches.push(`${eventId} answered with different decisions: ${[...decisions].join(', ')}`);
  }

  const { audit, states } = await withClient(options.databaseUrl, async (client) => ({
    audit: (await client.query<{ event_id: string; n: number }>('SELECT event_id, count(*)::int AS n FROM event_audit GROUP BY event_id')).rows,
    states: (
      await client.query<{ contract_number: string; component: string; start_date: string | null; start_at: string | null; end_date: string | null; end_at: string | null }>(`
        SELECT c.contract_number, s.component_type::text AS component,
               to_char(s.start_date, 'YYYY-MM-DD') AS start_date,
               to_char(s.start_event_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS start_at,
               to_char(s.end_date, 'YYYY-MM-DD') AS end_date,
               to_char(s.end_event_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS end_at
        FROM component_states s JOIN contracts c ON c.id = s.contract_id`)
    ).rows,
  }));
  const auditCount = new Map(audit.map((row) => [row.event_id, row.n]));
  for (const eventId of expectedCode.keys()) {
    const rows = auditCount.get(eventId) ?? 0;
    if (rows !== 1) mismatches.push(`${eventId} has ${rows} audit rows`);
  }
  for (const eventId of auditCount.keys()) if (!expectedCode.has(eventId)) mismatches.push(`audit row for unknown event ${eventId}`);

  const actual = new Map(states.map((row) => [`${row.contract_number}/${row.component}`, row]));
  const keys = new Set([...actual.keys(), ...model.states.keys()]);
  for (const key of keys) {
    const want = model.states.get(key) ?? {};
    const got = actual.get(key);
    const render = (a: unknown) => JSON.stringify(a);
    const expectedState = [want.start?.date ?? null, want.start?.createdAt ?? null, want.end?.date ?? null, want.end?.createdAt ?? null];
    const actualState = [got?.start_date ?? null, got?.start_at ?? null, got?.end_date ?? null, got?.end_at ?? null];
    if (render(expectedState) !== render(actualState)) mismatches.push(`${key}: state ${render(actualState)}, reference ${render(expectedState)} (${componentOf(key.split('/')[1]!)})`);
  }

  const result: Reconciliation = {
    scenario: options.scenario,
    eventsProduced: messages.length,
    distinctEventIds: expectedCode.size,
    outcomesSeen: options.outcomes.length,
    duplicates: options.outcomes.filter((o) => o.message.duplicate).length,
    auditRows: audit.reduce((sum, row) => sum + row.n, 0),
    mismatches,
  };
  console.log(
    `[reconciliation] ${result.scenario}: events produced ${result.eventsProduced}, distinct event ids ${result.distinctEventIds}, ` +
      `outcomes seen ${result.outcomesSeen}, duplicates ${result.duplicates}, audit rows ${result.auditRows}, mismatches ${mismatches.length}` +
      (mismatches.length ? `\n  ${mismatches.slice(0, 20).join('\n  ')}` : ''),
  );
  return result;
}

/**
 * No offset may be committed ahead of its transaction: every message below a
 * partition's committed offset must already have its decision recorded.
 */
export async function committedOffsetViolations(options: {
  kafka: KafkaClient;
  groupId: string;
  topic: string;
  produced: readonly TopicRecord[];
  databaseUrl: string;
}): Promise<{ committed: number; violations: string[] }> {
  const committed = await options.kafka.committedOffsets(options.groupId, options.topic);
  const messages = identify(options.produced, options.topic);
  const recorded = await withClient(options.databaseUrl, async (client) => {
    const { rows } = await client.query<{ event_id: string }>('SELECT event_id FROM processed_events');
    return new Set(rows.map((row) => row.event_id));
  });
  const violations: string[] = [];
  let below = 0;
  for (const message of messages) {
    const offset = committed.get(message.record.partition) ?? -1n;
    if (BigInt(message.record.offset) >= offset) continue;
    below += 1;
    if (!recorded.has(message.eventId)) violations.push(`${message.record.partition}/${message.record.offset} committed but not recorded`);
  }
  return { committed: below, violations };
}
