import type { KafkaClient } from '../../../src/kafka/port.js';
import type { EventOrder } from '../../../src/processing/event-order.js';
import { checkConsistency } from '../../../src/replay/consistency-check.js';
import { differenceLine } from '../../../src/replay/report.js';
import { withClient } from '../database.js';
import type { TopicRecord } from '../topic-reader.js';
import {
  compareDatabase,
  compareOutcomes,
  expectOutcomes,
  Mismatches,
  offsetViolations,
  type AuditRow,
  type ObservedOutcome,
  type OutcomeDelivery,
  type RepeatedOutcome,
  type StateRow,
} from './reconcile-core.js';

export { deliveryFromEnv, kafkaSource, type OutcomeDelivery } from './reconcile-core.js';

export interface Reconciliation {
  scenario: string;
  delivery: OutcomeDelivery;
  eventsProduced: number;
  /** Produced messages that are not valid events (answered with `error`). */
  invalidMessages: number;
  /** Decisions made: distinct event ids of valid events, plus one per invalid message. */
  distinctEventIds: number;
  outcomesSeen: number;
  missingOutcomes: number;
  /** Outcomes beyond one per message, and outcomes for no produced message. */
  extraOutcomes: number;
  /** Outcomes seen with `duplicate: true`. */
  duplicates: number;
  /** Messages whose outcome must say `duplicate: true` (re-produced events). */
  expectedDuplicates: number;
  /** Messages answered more than once, with where each copy sits on the outcome topic. */
  repeated: RepeatedOutcome[];
  auditRows: number;
  /** Components whose state `npm run replay -- --check` finds different from their audit (null without an audit). */
  replayDifferences: number | null;
  /** At most 200 lines, each `kind: detail`; empty when everything matched. */
  mismatches: string[];
  /** How many mismatches of each kind. */
  mismatchKinds: Record<string, number>;
}

/**
 * The full reconciliation of a scenario, against expectations computed by
 * the reference decoder and model only (no production code):
 * - every produced message answered exactly once (`transactional`, the
 *   default) or at least once with identical copies (`at-least-once`), with
 *   the expected event id, status, code, `duplicate` flag, event, key,
 *   `event-id` header and one `processed_at` for all copies;
 * - one audit row per decision, at the position that decided it;
 * - final states equal to the reference model folded in Kafka's order;
 * - and the service's own consistency check (`npm run replay -- --check`)
 *   finds every stored state equal to what its audit gives.
 */
export async function reconcile(options: {
  scenario: string;
  topic: string;
  produced: readonly TopicRecord[];
  outcomes: readonly ObservedOutcome[];
  databaseUrl: string;
  contracts: ReadonlyMap<string, readonly string[]>;
  delivery?: OutcomeDelivery;
  /** False when the service ran with ENABLE_EVENT_AUDIT=false. */
  audit?: boolean;
  /** The service's EVENT_ORDER (default arrival). */
  eventOrder?: EventOrder;
}): Promise<Reconciliation> {
  const delivery = options.delivery ?? 'transactional';
  const mismatches = new Mismatches();
  const expectations = expectOutcomes(options.topic, options.produced, options.contracts);
  for (const problem of expectations.workloadProblems) mismatches.add('workload', problem);
  const counts = compareOutcomes(expectations, options.outcomes, delivery, mismatches);
  const rows = await readDatabase(options.databaseUrl, options.audit ?? true);
  compareDatabase(expectations, rows, mismatches);
  // Without an audit there is nothing to recompute from.
  const replay =
    (options.audit ?? true)
      ? await checkConsistency({ databaseUrl: options.databaseUrl, eventOrder: options.eventOrder ?? 'arrival' })
      : null;
  for (const difference of replay?.differences ?? []) mismatches.add('replay-check', differenceLine(difference));

  const result: Reconciliation = {
    scenario: options.scenario,
    delivery,
    eventsProduced: expectations.messages.length,
    invalidMessages: expectations.invalid.size,
    distinctEventIds: expectations.decided.size + expectations.invalid.size,
    ...counts,
    auditRows: rows.audit?.length ?? 0,
    replayDifferences: replay?.differences.length ?? null,
    mismatches: mismatches.list(),
    mismatchKinds: mismatches.kinds,
  };
  const kinds = Object.entries(result.mismatchKinds).map(([kind, n]) => `${kind} ${n}`);
  console.log(
    `[reconciliation] ${result.scenario} (${delivery}): events produced ${result.eventsProduced} (${result.invalidMessages} invalid), ` +
      `decisions ${result.distinctEventIds}, outcomes seen ${result.outcomesSeen}, missing ${result.missingOutcomes}, extra ${result.extraOutcomes}, ` +
      `duplicates ${result.duplicates} of ${result.expectedDuplicates} expected, audit rows ${result.auditRows}, ` +
      (replay ? `replay check ${replay.contracts} contracts ${replay.differences.length} differences, ` : '') +
      `mismatches ${mismatches.lines.length}` +
      (kinds.length ? ` (${kinds.join(', ')})\n  ${result.mismatches.slice(0, 20).join('\n  ')}` : ''),
  );
  return result;
}

async function readDatabase(databaseUrl: string, audit: boolean): Promise<{ audit?: AuditRow[]; states: StateRow[] }> {
  return withClient(databaseUrl, async (client) => ({
    ...(audit
      ? {
          audit: (
            await client.query<AuditRow>(
              'SELECT event_id, status::text AS status, code, kafka_topic, kafka_partition, kafka_offset::text AS kafka_offset FROM event_audit',
            )
          ).rows,
        }
      : {}),
    states: (
      await client.query<StateRow>(`
        SELECT c.contract_number, s.component_type::text AS component,
               to_char(s.start_date, 'YYYY-MM-DD') AS start_date,
               to_char(s.start_event_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS start_at,
               to_char(s.end_date, 'YYYY-MM-DD') AS end_date,
               to_char(s.end_event_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS end_at
        FROM component_states s JOIN contracts c ON c.id = s.contract_id`)
    ).rows,
  }));
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
  // Contracts do not matter for what is recorded: an empty model will do.
  const expectations = expectOutcomes(options.topic, options.produced, new Map());
  const recorded = await withClient(options.databaseUrl, async (client) => {
    const ledger = (await client.query<{ event_id: string }>('SELECT event_id FROM processed_events')).rows;
    const audit = (
      await client.query<{ kafka_partition: number; kafka_offset: string }>(
        'SELECT kafka_partition, kafka_offset::text AS kafka_offset FROM event_audit WHERE kafka_topic = $1 AND kafka_offset IS NOT NULL',
        [options.topic],
      )
    ).rows;
    return {
      ledger: new Set(ledger.map((row) => row.event_id)),
      auditPositions: new Set(audit.map((row) => `${row.kafka_partition}/${row.kafka_offset}`)),
    };
  });
  return offsetViolations(expectations, committed, recorded);
}
