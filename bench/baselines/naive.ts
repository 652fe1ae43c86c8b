import { decide } from '../../src/domain/decide.js';
import { formatInstant, type Micros } from '../../src/domain/timestamp.js';
import { toOutboundMessage } from '../../src/kafka/outcome-message.js';
import { systemClock } from '../../src/processing/clock.js';
import { decisionEntry, invalidEntry } from '../../src/processing/decision-entry.js';
import { ledgerIdOf, type DecodedMessage } from '../../src/processing/decoded-message.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import { buildOutcome, type Outcome } from '../../src/processing/outcome.js';
import type { DecisionEntry, RecordedDecision } from '../../src/processing/ports.js';
import type { Prisma } from '../../src/generated/prisma/client.js';
import { readContractStates } from '../../src/store/contract-states.js';
import type { PrismaClient } from '../../src/store/prisma-client.js';
import type { BenchProducer, ConsumedMessage } from './kafkajs.js';

// The straightforward implementation the issue compares against: for every
// message, one Prisma interactive transaction (idempotency check, contract and
// state read under a row lock, `decide`, state upsert, ledger row, audit row),
// then one awaited send of its outcome. Same rules, same validation, same
// tables and the same guarantees as the service, just one event at a time.

type Tx = Prisma.TransactionClient;

export function naiveHandler(prisma: PrismaClient, producer: BenchProducer, outcomesTopic: string) {
  return async (message: ConsumedMessage): Promise<void> => {
    const decoded = decodeMessage({
      key: message.key,
      value: message.value,
      source: { transport: 'kafka', topic: message.topic, partition: message.partition, offset: message.offset },
    });
    const outcome = await prisma.$transaction((tx) => decideOne(tx, decoded, formatInstant(systemClock())));
    await producer.send(outcomesTopic, [toOutboundMessage(outcome)]);
  };
}

async function decideOne(tx: Tx, decoded: DecodedMessage, processedAt: string): Promise<Outcome> {
  const known = await tx.$queryRaw<RecordedDecision[]>`
    SELECT status::text AS status, code, message FROM processed_events WHERE event_id = ${ledgerIdOf(decoded)}`;
  if (known[0]) return buildOutcome(decoded, known[0], true, processedAt);

  if (decoded.kind === 'invalid') {
    const entry = invalidEntry(decoded, processedAt);
    await record(tx, entry);
    return buildOutcome(decoded, entry, false, processedAt);
  }

  const { event } = decoded;
  const contract = (await readContractStates(tx, [event.contractNumber], { forUpdate: true })).get(
    event.contractNumber,
  );
  const decision = decide(contract, event);
  if (contract && decision.nextState) {
    const s = decision.nextState;
    await tx.$executeRaw`
      INSERT INTO component_states (contract_id, component_type, start_date, start_event_created_at, end_date, end_event_created_at, updated_at)
      VALUES (${contract.id}::bigint, ${decision.component}::component_type, ${s.startDate}::date, ${instant(s.startEventCreatedAt)}::timestamptz,
              ${s.endDate}::date, ${instant(s.endEventCreatedAt)}::timestamptz, now())
      ON CONFLICT (contract_id, component_type) DO UPDATE SET
        start_date = EXCLUDED.start_date, start_event_created_at = EXCLUDED.start_event_created_at,
        end_date = EXCLUDED.end_date, end_event_created_at = EXCLUDED.end_event_created_at, updated_at = EXCLUDED.updated_at`;
  }
  await record(tx, decisionEntry(decoded, decision, contract?.id ?? null, processedAt));
  return buildOutcome(decoded, decision, false, processedAt);
}

const instant = (micros: Micros | null): string | null => (micros === null ? null : formatInstant(micros));

/** The ledger row and the audit row, one statement each. */
async function record(tx: Tx, e: DecisionEntry): Promise<void> {
  const kafka = e.source.transport === 'kafka' ? e.source : null;
  await tx.$executeRaw`
    INSERT INTO processed_events (event_id, status, code, message, error, source, processed_at)
    VALUES (${e.eventId}, ${e.status}::outcome_status, ${e.code}, ${e.message}, ${e.error ? JSON.stringify(e.error) : null}::jsonb,
            ${JSON.stringify(e.source)}::jsonb, ${e.processedAt}::timestamptz)`;
  await tx.$executeRaw`
    INSERT INTO event_audit (event_id, contract_id, contract_number, event_type, component_type, action, event_date, event_created_at,
                             status, code, message, error, kafka_topic, kafka_partition, kafka_offset, processed_at)
    VALUES (${e.eventId}, ${e.contractId}::bigint, ${e.contractNumber}, ${e.eventType}, ${e.component}::component_type, ${e.action},
            ${e.eventDate}::date, ${instant(e.eventCreatedAt)}::timestamptz, ${e.status}::outcome_status, ${e.code}, ${e.message},
            ${e.error ? JSON.stringify(e.error) : null}::jsonb, ${kafka?.topic ?? null}, ${kafka?.partition ?? null}::int,
            ${kafka?.offset ?? null}::bigint, ${e.processedAt}::timestamptz)`;
}
