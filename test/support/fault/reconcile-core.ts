// The pure part of a fault scenario's reconciliation: from what was produced
// (read back from Kafka) it works out, with the reference decoder and the
// reference model only, the one outcome each message must get, then compares
// the outcomes and the database rows actually seen. No I/O, and nothing from
// src/ but types, so it can be unit-tested with hand-written cases.

import { referenceDecode, referencePositionId, type ReferenceDecodedEvent } from './reference-decoder.js';
import { ReferenceModel } from './reference-model.js';

/** How outcomes reach the outcome topic (the service's OUTCOME_DELIVERY). */
export type OutcomeDelivery = 'transactional' | 'at-least-once';

export function deliveryFromEnv(env: Readonly<Record<string, string | undefined>>): OutcomeDelivery {
  return env.OUTCOME_DELIVERY === 'at-least-once' ? 'at-least-once' : 'transactional';
}

/** A produced input message as read back from Kafka. */
export interface ProducedRecord {
  partition: number;
  offset: string;
  key: string | null;
  keyBytes?: Buffer | null;
  value: Buffer | null;
}

/** An outcome as read from the outcome topic (a ReadOutcome fits). */
export interface ObservedOutcome {
  key: string | null;
  headers: Record<string, string>;
  message: {
    event_id: string;
    status: string;
    code: string;
    duplicate: boolean;
    event: { type: string; contract_number: string; date: string; created_at: string } | null;
    error: { code: string } | null;
    source?: unknown;
    processed_at: string;
  };
  /** The value as published, when known; copies are compared on it. */
  raw?: unknown;
  /** Where the outcome itself sits on the outcome topic, when known. */
  partition?: number;
  offset?: string;
}

type WireEvent = { type: string; contract_number: string; date: string; created_at: string };

/** What the outcome of one produced message must say. */
export interface ExpectedOutcome {
  partition: number;
  offset: string;
  /** `partition/offset` */
  position: string;
  kind: 'valid' | 'invalid';
  eventId: string;
  status: 'accepted' | 'rejected' | 'error';
  code: string;
  duplicate: boolean;
  /** The `event` an outcome may carry; undefined: not checked. */
  events?: WireEvent[];
  /** The outcome keys allowed; undefined: not checked. */
  keys?: (string | null)[];
  /** For a valid event, the position of the message whose decision stands for it. */
  decidedAt?: string;
  /** The reason the reference decoder gave, for an invalid message. */
  reason?: string;
}

export interface Expectations {
  topic: string;
  /** One per produced message, in Kafka order (partition, offset). */
  messages: ExpectedOutcome[];
  /** The reference model after folding every decided event. */
  model: ReferenceModel;
  /** Distinct valid event ids, each with the expectation of the message that decided it. */
  decided: Map<string, ExpectedOutcome>;
  /** Invalid messages by position. */
  invalid: Map<string, ExpectedOutcome>;
  /** Problems of the workload itself (not of the service). */
  workloadProblems: string[];
}

const positionOf = (partition: number, offset: string) => `${partition}/${offset}`;
const wire = (event: ReferenceDecodedEvent): WireEvent => ({
  type: event.type,
  contract_number: event.contract,
  date: event.date,
  created_at: event.createdAt,
});

/**
 * Decides, message by message in Kafka's order, what each outcome must be:
 * a valid event's first message is decided by the reference model; a later
 * message with an event id already decided (from another position) is a
 * duplicate answered with that decision, or with other content an
 * EVENT_ID_CONFLICT error; an invalid message is an error of its own, never a
 * duplicate and never making a later event one.
 */
export function expectOutcomes(
  topic: string,
  produced: readonly ProducedRecord[],
  contracts: ReadonlyMap<string, readonly string[]>,
): Expectations {
  const ordered = [...produced].sort((a, b) => a.partition - b.partition || compare(a.offset, b.offset));
  const model = new ReferenceModel(contracts);
  const decided = new Map<string, ExpectedOutcome>();
  const invalid = new Map<string, ExpectedOutcome>();
  const workloadProblems: string[] = [];
  const messages: ExpectedOutcome[] = [];
  for (const record of ordered) {
    const position = positionOf(record.partition, record.offset);
    const decoded = referenceDecode({
      topic,
      partition: record.partition,
      offset: record.offset,
      key: record.keyBytes ?? record.key,
      value: record.value,
    });
    const base = { partition: record.partition, offset: record.offset, position, eventId: decoded.eventId };
    if (decoded.kind === 'invalid') {
      const expected: ExpectedOutcome = {
        ...base,
        kind: 'invalid',
        status: 'error',
        code: decoded.code,
        duplicate: false,
        reason: decoded.reason,
        // SPEC 3: the input's own key, or a stable one when it had none.
        keys: [decoded.outcomeKey],
      };
      invalid.set(position, expected);
      messages.push(expected);
      continue;
    }
    const event = wire(decoded.event);
    const first = decided.get(decoded.eventId);
    if (first && !sameEvent(first.events![0]!, event)) {
      // The same id for other content: refused, nothing applied.
      messages.push({
        ...base,
        kind: 'valid',
        status: 'error',
        code: 'EVENT_ID_CONFLICT',
        duplicate: false,
        events: [event],
        keys: [event.contract_number],
        decidedAt: position,
      });
      continue;
    }
    if (first) {
      if (first.partition !== record.partition) {
        workloadProblems.push(
          `event id ${decoded.eventId} was produced to partitions ${first.partition} and ${record.partition}: which came first is not defined`,
        );
      }
      messages.push({
        ...base,
        kind: 'valid',
        status: first.status,
        code: first.code,
        duplicate: true,
        events: [event, ...(first.events ?? [])],
        keys: [event.contract_number, ...(first.keys ?? [])],
        decidedAt: first.position,
      });
      continue;
    }
    const code = model.apply(decoded.event);
    const expected: ExpectedOutcome = {
      ...base,
      kind: 'valid',
      status: code === 'ACCEPTED' ? 'accepted' : 'rejected',
      code,
      duplicate: false,
      events: [event],
      keys: [event.contract_number],
      decidedAt: position,
    };
    decided.set(decoded.eventId, expected);
    messages.push(expected);
  }
  return { topic, messages, model, decided, invalid, workloadProblems };
}

/** Mismatches with a kind each, so a report can say how many of which. */
export class Mismatches {
  readonly lines: string[] = [];
  readonly kinds: Record<string, number> = {};

  add(kind: string, text: string): void {
    this.kinds[kind] = (this.kinds[kind] ?? 0) + 1;
    this.lines.push(`${kind}: ${text}`);
  }

  /** The lines, at most `limit` of them and a last one saying how many more there were. */
  list(limit = 200): string[] {
    return this.lines.length <= limit
      ? [...this.lines]
      : [...this.lines.slice(0, limit), `… and ${this.lines.length - limit} more mismatches`];
  }
}

export interface OutcomeComparison {
  outcomesSeen: number;
  /** Produced messages without any outcome. */
  missingOutcomes: number;
  /** Outcomes beyond the first for a message, plus outcomes for no produced message. */
  extraOutcomes: number;
  /** Outcomes seen with `duplicate: true`. */
  duplicates: number;
  /** Messages whose outcome must say `duplicate: true`. */
  expectedDuplicates: number;
  /** Messages answered more than once, with where each copy sits on the outcome topic (when the reader said). */
  repeated: RepeatedOutcome[];
}

export interface RepeatedOutcome {
  /** The produced message's `partition/offset`. */
  position: string;
  copies: { partition?: number; offset?: string }[];
}

const PROCESSED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * Compares the outcomes read from the outcome topic with the expectations:
 * every produced message answered (exactly once in transactional delivery, at
 * least once otherwise), every copy for one message identical (the same
 * decision, `duplicate` flag and `processed_at`), and each answer with the
 * expected event id, status, code, `duplicate` flag, event, key and header.
 */
export function compareOutcomes(
  expectations: Expectations,
  outcomes: readonly ObservedOutcome[],
  delivery: OutcomeDelivery,
  mismatches: Mismatches,
): OutcomeComparison {
  const byPosition = new Map<string, ObservedOutcome[]>();
  let unknown = 0;
  for (const outcome of outcomes) {
    const source = sourceOf(outcome);
    if (typeof source === 'string') {
      unknown += 1;
      mismatches.add('outcome for no produced message', `${outcome.message.event_id}: ${source}`);
      continue;
    }
    const position = positionOf(source.partition, source.offset);
    const copies = byPosition.get(position);
    if (copies) copies.push(outcome);
    else byPosition.set(position, [outcome]);
  }
  const expectedPositions = new Set(expectations.messages.map((m) => m.position));
  for (const [position, copies] of byPosition) {
    if (expectedPositions.has(position)) continue;
    unknown += copies.length;
    mismatches.add(
      'outcome for no produced message',
      `${position} (${copies.length} outcomes, event id ${copies[0]!.message.event_id})`,
    );
  }

  let missing = 0;
  let extra = unknown;
  const repeated: RepeatedOutcome[] = [];
  for (const expected of expectations.messages) {
    const copies = byPosition.get(expected.position) ?? [];
    if (copies.length === 0) {
      missing += 1;
      mismatches.add(
        'missing outcome',
        `${expected.position} (${expected.kind} ${expected.eventId}, expected ${expected.status}/${expected.code})`,
      );
      continue;
    }
    if (copies.length > 1) {
      extra += copies.length - 1;
      repeated.push({
        position: expected.position,
        copies: copies.map(({ partition, offset }) => ({ partition, offset })),
      });
      if (delivery === 'transactional') {
        // Where the copies sit on the outcome topic, when the reader said: the place to look in a dump of the log.
        const where = copies.every((c) => c.partition !== undefined)
          ? ` (outcome topic ${copies.map((c) => `${c.partition}/${c.offset}`).join(', ')})`
          : '';
        mismatches.add('extra outcome', `${expected.position} answered ${copies.length} times${where}`);
      }
      const first = JSON.stringify(rawOf(copies[0]!));
      for (const copy of copies.slice(1)) {
        if (JSON.stringify(rawOf(copy)) !== first) {
          mismatches.add(
            'copies differ',
            `${expected.position}: copies differ in ${differingFields(rawOf(copies[0]!), rawOf(copy)).join(', ')}`,
          );
        }
      }
    }
    checkOutcome(expected, copies[0]!, expectations.topic, mismatches);
  }
  return {
    outcomesSeen: outcomes.length,
    missingOutcomes: missing,
    extraOutcomes: extra,
    duplicates: outcomes.filter((o) => o.message.duplicate).length,
    expectedDuplicates: expectations.messages.filter((m) => m.duplicate).length,
    repeated,
  };
}

function checkOutcome(
  expected: ExpectedOutcome,
  outcome: ObservedOutcome,
  topic: string,
  mismatches: Mismatches,
): void {
  const { message } = outcome;
  const at = expected.position;
  if (message.event_id !== expected.eventId)
    mismatches.add('wrong event id', `${at}: ${message.event_id}, expected ${expected.eventId} (${expected.kind})`);
  if (message.status !== expected.status || message.code !== expected.code) {
    mismatches.add(
      'wrong decision',
      `${at}: ${message.status}/${message.code}, expected ${expected.status}/${expected.code}${expected.reason ? ` (${expected.reason})` : ''}`,
    );
  }
  if (message.duplicate !== expected.duplicate) {
    mismatches.add(
      'wrong duplicate flag',
      `${at}: duplicate ${message.duplicate}, expected ${expected.duplicate}` +
        (expected.duplicate ? ` (already decided at ${expected.decidedAt})` : ` (${expected.kind})`),
    );
  }
  if (expected.status === 'error' ? message.error?.code !== expected.code : message.error !== null) {
    mismatches.add(
      'wrong error',
      `${at}: error ${JSON.stringify(message.error?.code ?? null)} with status ${message.status}`,
    );
  }
  if (expected.events && !expected.events.some((event) => sameEvent(event, message.event))) {
    mismatches.add(
      'wrong event',
      `${at}: event ${JSON.stringify(message.event)}, expected ${JSON.stringify(expected.events[0])}`,
    );
  }
  if (expected.keys && !expected.keys.includes(outcome.key))
    mismatches.add(
      'wrong key',
      `${at}: key ${JSON.stringify(outcome.key)}, expected ${JSON.stringify(expected.keys[0])}`,
    );
  if (outcome.headers['event-id'] !== message.event_id) {
    mismatches.add(
      'wrong event-id header',
      `${at}: header ${JSON.stringify(outcome.headers['event-id'] ?? null)}, event_id ${message.event_id}`,
    );
  }
  if (!PROCESSED_AT.test(message.processed_at))
    mismatches.add('wrong processed_at', `${at}: ${JSON.stringify(message.processed_at)}`);
  const source = sourceOf(outcome);
  if (typeof source !== 'string' && source.topic !== topic)
    mismatches.add('wrong source', `${at}: topic ${source.topic}, expected ${topic}`);
}

function sameEvent(a: WireEvent, b: WireEvent | null): boolean {
  return (
    b !== null &&
    a.type === b.type &&
    a.contract_number === b.contract_number &&
    a.date === b.date &&
    a.created_at === b.created_at
  );
}

/**
 * The Kafka position in an outcome's `source`: `{ topic, partition, offset }`,
 * with `transport: 'kafka'` or (the older shape) none; undefined otherwise.
 */
export function kafkaSource(source: unknown): { topic: string; partition: number; offset: string } | undefined {
  if (source === null || typeof source !== 'object') return undefined;
  const { transport, topic, partition, offset } = source as Record<string, unknown>;
  if (transport !== undefined && transport !== 'kafka') return undefined;
  if (typeof topic !== 'string' || typeof partition !== 'number' || typeof offset !== 'string') return undefined;
  return { topic, partition, offset };
}

/** The Kafka position an outcome answers, from its `source` as published; a string says why there is none. */
function sourceOf(outcome: ObservedOutcome): { topic: string; partition: number; offset: string } | string {
  const raw = rawOf(outcome);
  const source = (raw && typeof raw === 'object' ? (raw as { source?: unknown }).source : undefined) ?? null;
  return kafkaSource(source) ?? (source === null ? 'no source' : `source ${JSON.stringify(source)}`);
}

const rawOf = (outcome: ObservedOutcome): unknown => outcome.raw ?? outcome.message;

function differingFields(a: unknown, b: unknown): string[] {
  const left = (a ?? {}) as Record<string, unknown>;
  const right = (b ?? {}) as Record<string, unknown>;
  return [...new Set([...Object.keys(left), ...Object.keys(right)])].filter(
    (name) => JSON.stringify(left[name]) !== JSON.stringify(right[name]),
  );
}

/** One `event_audit` row, as the reconciliation reads it. */
export interface AuditRow {
  event_id: string;
  status: string;
  code: string;
  kafka_topic: string | null;
  kafka_partition: number | null;
  kafka_offset: string | null;
}

/** One component state, dates as YYYY-MM-DD and instants normalised like the reference model's. */
export interface StateRow {
  contract_number: string;
  component: string;
  start_date: string | null;
  start_at: string | null;
  end_date: string | null;
  end_at: string | null;
}

/**
 * The database against the expectations: one audit row per decision (per
 * distinct valid event id, at the position that decided it, and per invalid
 * message, at its position), nothing else audited, and every component state
 * equal to the reference model's.
 */
export function compareDatabase(
  expectations: Expectations,
  rows: { audit?: readonly AuditRow[]; states: readonly StateRow[] },
  mismatches: Mismatches,
): void {
  if (rows.audit) compareAudit(expectations, rows.audit, mismatches);
  const model = expectations.model.states;
  const actual = new Map(rows.states.map((row) => [`${row.contract_number}/${row.component}`, row]));
  for (const key of new Set([...actual.keys(), ...model.keys()])) {
    const want = model.get(key) ?? {};
    const got = actual.get(key);
    const expectedState = JSON.stringify([
      want.start?.date ?? null,
      want.start?.createdAt ?? null,
      want.end?.date ?? null,
      want.end?.createdAt ?? null,
    ]);
    const actualState = JSON.stringify([
      got?.start_date ?? null,
      got?.start_at ?? null,
      got?.end_date ?? null,
      got?.end_at ?? null,
    ]);
    if (expectedState !== actualState)
      mismatches.add('wrong state', `${key}: ${actualState}, reference ${expectedState}`);
  }
}

function compareAudit(expectations: Expectations, audit: readonly AuditRow[], mismatches: Mismatches): void {
  const claimed = new Set<AuditRow>();
  const rowPosition = (row: AuditRow) =>
    row.kafka_topic === expectations.topic && row.kafka_partition !== null && row.kafka_offset !== null
      ? positionOf(row.kafka_partition, String(row.kafka_offset))
      : undefined;
  const byPosition = new Map<string, AuditRow[]>();
  const byEventId = new Map<string, AuditRow[]>();
  for (const row of audit) {
    const position = rowPosition(row);
    if (position) byPosition.set(position, [...(byPosition.get(position) ?? []), row]);
    byEventId.set(row.event_id, [...(byEventId.get(row.event_id) ?? []), row]);
  }
  // An invalid message is recorded under its position; its row may name the producer's id or the position id.
  for (const expected of expectations.invalid.values()) {
    const rows = (byPosition.get(expected.position) ?? []).filter((row) => row.status === 'error' && !claimed.has(row));
    if (rows.length !== 1) {
      mismatches.add('audit rows', `invalid message ${expected.position} has ${rows.length} audit rows`);
      continue;
    }
    const row = rows[0]!;
    claimed.add(row);
    const positionId = referencePositionId(expectations.topic, expected.partition, expected.offset);
    if (row.code !== expected.code)
      mismatches.add(
        'audit rows',
        `invalid message ${expected.position} audited as ${row.code}, expected ${expected.code}`,
      );
    if (row.event_id !== expected.eventId && row.event_id !== positionId)
      mismatches.add('audit rows', `invalid message ${expected.position} audited under event id ${row.event_id}`);
  }
  for (const [eventId, expected] of expectations.decided) {
    const rows = (byEventId.get(eventId) ?? []).filter((row) => !claimed.has(row));
    if (rows.length !== 1) {
      mismatches.add('audit rows', `${eventId} has ${rows.length} audit rows`);
      rows.forEach((row) => claimed.add(row));
      continue;
    }
    const row = rows[0]!;
    claimed.add(row);
    if (row.status !== expected.status || row.code !== expected.code)
      mismatches.add(
        'audit rows',
        `${eventId} audited as ${row.status}/${row.code}, expected ${expected.status}/${expected.code}`,
      );
    const position = rowPosition(row);
    if (position !== undefined && position !== expected.decidedAt)
      mismatches.add('audit rows', `${eventId} audited at ${position}, decided at ${expected.decidedAt}`);
  }
  for (const row of audit)
    if (!claimed.has(row))
      mismatches.add(
        'audit rows',
        `audit row for no expected decision: ${row.event_id} ${row.status}/${row.code} at ${rowPosition(row) ?? 'no position'}`,
      );
}

/**
 * Messages below a partition's committed offset whose decision is not
 * recorded: a valid event's id in the ledger (`processed_events`); an invalid
 * message's position id in the ledger, or an audit row at its position.
 */
export function offsetViolations(
  expectations: Expectations,
  committed: ReadonlyMap<number, bigint>,
  recorded: { ledger: ReadonlySet<string>; auditPositions: ReadonlySet<string> },
): { committed: number; violations: string[] } {
  const violations: string[] = [];
  let below = 0;
  for (const expected of expectations.messages) {
    const offset = committed.get(expected.partition) ?? -1n;
    if (BigInt(expected.offset) >= offset) continue;
    below += 1;
    const isRecorded =
      expected.kind === 'valid'
        ? recorded.ledger.has(expected.eventId)
        : recorded.ledger.has(referencePositionId(expectations.topic, expected.partition, expected.offset)) ||
          recorded.auditPositions.has(expected.position);
    if (!isRecorded) violations.push(`${expected.position} committed but not recorded`);
  }
  return { committed: below, violations };
}

function compare(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
