import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { OutboundMessage } from '../../src/kafka/port.js';
import { withClient } from '../support/database.js';
import { kafkaSource } from '../support/fault/reconcile.js';
import { createScenario, waitUntilConsumed, type Scenario } from '../support/fault/scenario.js';
import { generateWorkload } from '../support/fault/workload.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

// Hostile input gets an `error` outcome that says what was wrong, reaches the
// database only as an audit row, and never slows or stops the consumer.

const valid = {
  type: 'supply_energy_start',
  contract_number: 'h-1',
  date: '2024-01-01',
  created_at: '2024-01-01T00:00:00Z',
};
const json = (fields: Record<string, unknown>) => JSON.stringify({ ...valid, ...fields });
const keyed = (value: string | Buffer | null, key: string | null = 'h-1'): OutboundMessage => ({
  key,
  value: value as string,
  headers: {},
});
const SQL = "x'); DROP TABLE contracts; --";
const JSON_INJECTION = '","type":"supply_energy_end","x":"';

/** Each hostile message, the code it must get, and a word its error message must contain. */
const HOSTILE: [string, OutboundMessage, string, string][] = [
  ['invalid JSON', keyed('{"type": "supply_energy_start",'), 'INVALID_JSON', 'not valid JSON'],
  ['a JSON array', keyed('[{"type":"supply_energy_start"}]'), 'VALIDATION_ERROR', 'expected object'],
  ['wrong field types', keyed(json({ contract_number: 1234, date: 20240101 })), 'VALIDATION_ERROR', 'contract_number'],
  ['an unknown type', keyed(json({ type: 'solar_panel_start' })), 'VALIDATION_ERROR', 'type'],
  [
    'missing fields',
    keyed(JSON.stringify({ type: 'supply_energy_start', contract_number: 'h-1' })),
    'VALIDATION_ERROR',
    'date',
  ],
  ['an impossible date', keyed(json({ date: '2024-02-30' })), 'VALIDATION_ERROR', 'date'],
  [
    '10 fractional digits',
    keyed(json({ created_at: '2024-01-01T00:00:00.1234567891Z' })),
    'VALIDATION_ERROR',
    'created_at',
  ],
  [
    'a year past 9999 once in UTC',
    keyed(json({ created_at: '9999-12-31T23:30:00-01:00' })),
    'VALIDATION_ERROR',
    'years 0001–9999',
  ],
  ['an unparseable offset', keyed(json({ created_at: '2024-01-01T00:00:00+25:99' })), 'VALIDATION_ERROR', 'created_at'],
  ['a 1 MiB value', keyed(json({ padding: 'x'.repeat(1024 * 1024) })), 'VALIDATION_ERROR', 'bytes'],
  ['invalid UTF-8', keyed(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])), 'INVALID_JSON', 'UTF-8'],
  ['a null value (tombstone)', keyed(null), 'VALIDATION_ERROR', 'tombstone'],
  ['a missing key', keyed(json({}), null), 'VALIDATION_ERROR', 'no key'],
  ['a key that differs from contract_number', keyed(json({}), 'h-2'), 'VALIDATION_ERROR', 'differs'],
  [
    'a 10,000-character contract_number',
    keyed(json({ contract_number: 'c'.repeat(10_000) }), 'c'.repeat(10_000)),
    'VALIDATION_ERROR',
    'contract_number',
  ],
  ['SQL injection in type', keyed(json({ type: SQL })), 'VALIDATION_ERROR', 'type'],
  ['SQL injection in date', keyed(json({ date: SQL })), 'VALIDATION_ERROR', 'date'],
  ['SQL injection in created_at', keyed(json({ created_at: SQL })), 'VALIDATION_ERROR', 'created_at'],
  ['JSON injection in type', keyed(json({ type: JSON_INJECTION })), 'VALIDATION_ERROR', 'type'],
  ['JSON injection in date', keyed(json({ date: JSON_INJECTION })), 'VALIDATION_ERROR', 'date'],
  [
    'SQL injection in event_id, with an invalid date',
    keyed(json({ event_id: SQL, date: '2024-13-01' })),
    'VALIDATION_ERROR',
    'date',
  ],
  // Text Postgres cannot store: refused, and quoted back in a form it can store.
  ['a NUL in contract_number', keyed(json({ contract_number: 'h-1\u0000' }), 'h-1\u0000'), 'VALIDATION_ERROR', 'NUL'],
  ['NUL bytes that are not JSON', keyed(Buffer.from([0x00, 0x01, 0x7b, 0x00])), 'INVALID_JSON', 'not valid JSON'],
  ['a key with a NUL, differing from contract_number', keyed(json({}), 'h-\u0000'), 'VALIDATION_ERROR', 'differs'],
  // It becomes the outcome's `event-id` header.
  ['a line break in event_id', keyed(json({ event_id: 'h-1\r\nforged: 1' })), 'VALIDATION_ERROR', 'control characters'],
  // The form of the ids the service derives: a producer could take the id of a later event.
  [
    'an event_id in the form of derived ids',
    keyed(json({ event_id: 'derived:h-1' })),
    'VALIDATION_ERROR',
    'must not start with "derived:"',
  ],
];

/** Text fields whose format allows any string are data: the event is decided, and the text stored as it is. */
const INJECTED_DATA: [string, OutboundMessage, string][] = [
  ['SQL injection in contract_number', keyed(json({ contract_number: SQL }), SQL), 'CONTRACT_NOT_FOUND'],
  [
    'JSON injection in contract_number',
    keyed(json({ contract_number: JSON_INJECTION }), JSON_INJECTION),
    'CONTRACT_NOT_FOUND',
  ],
  [
    'SQL injection in event_id',
    keyed(json({ event_id: SQL, contract_number: 'nobody' }), 'nobody'),
    'CONTRACT_NOT_FOUND',
  ],
];

const tail = generateWorkload({ contracts: 50, events: 3_000, seed: 6, prefix: 'h' });
let scenario: Scenario;
let service: ServiceProcess;

beforeAll(async () => {
  scenario = await createScenario({
    name: 'hostile-input',
    brokers: inject('kafkaBrokers'),
    partitions: 3,
    eventsTopicConfig: { 'max.message.bytes': String(2 * 1024 * 1024) },
  });
  await scenario.createContracts(tail.contracts);
  service = await startServiceProcess(scenario.env);
});
afterAll(async () => {
  await service?.stop('SIGKILL');
  await scenario?.dispose();
});

describe('hostile input', () => {
  it('answers every hostile message with an error that says what was wrong, and keeps going', async () => {
    const contracts = () =>
      withClient(scenario.db.url, async (client) =>
        Number((await client.query('SELECT count(*) FROM contracts')).rows[0].count),
      );
    const contractsBefore = await contracts();
    await scenario.produce([...HOSTILE.map(([, message]) => message), ...INJECTED_DATA.map(([, message]) => message)]);
    const started = Date.now();
    await scenario.produce(tail.messages);
    await waitUntilConsumed(scenario);
    const seconds = (Date.now() - started) / 1000;
    const total = HOSTILE.length + INJECTED_DATA.length + tail.messages.length;
    console.log(
      `[hostile-input] ${HOSTILE.length + INJECTED_DATA.length} hostile messages, then ${tail.messages.length} valid ones decided in ${seconds.toFixed(1)} s`,
    );

    const outcomes = await scenario.outcomes(total);
    const bySource = new Map(
      outcomes.map((o) => [
        `${kafkaSource(o.message.source)?.partition}/${kafkaSource(o.message.source)?.offset}`,
        o.message,
      ]),
    );
    const produced = await scenario.produced(total);
    for (const [name, message, code, word] of HOSTILE) {
      const record = produced.find(
        (r) =>
          (r.value === null ? message.value === null : r.value.equals(Buffer.from(message.value ?? ''))) &&
          r.key === message.key,
      );
      expect(record, name).toBeDefined();
      const outcome = bySource.get(`${record!.partition}/${record!.offset}`)!;
      expect(outcome, name).toMatchObject({ status: 'error', code, error: { code } });
      expect(outcome.error!.message, name).toContain(word);
      expect(JSON.stringify(outcome).length, name).toBeLessThan(20_000); // bad values are quoted, cut short
    }
    for (const [name, message, code] of INJECTED_DATA) {
      const record = produced.find((r) => r.value?.equals(Buffer.from(message.value ?? '')) && r.key === message.key);
      const outcome = bySource.get(`${record!.partition}/${record!.offset}`)!;
      expect(outcome, name).toMatchObject({ status: 'rejected', code });
    }
    expect(outcomes.filter((o) => o.message.event?.contract_number.startsWith('h-')).length).toBe(tail.messages.length);

    const after = await withClient(scenario.db.url, async (client) => ({
      // contracts, component_states, processed_events, event_audit, event_revisions, outcome_outbox, _prisma_migrations: none dropped
      tables: (
        await client.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`)
      ).rows[0].n,
      injectedAudit: (
        await client.query('SELECT count(*)::int AS n FROM event_audit WHERE contract_number = $1', [SQL])
      ).rows[0].n,
      errorsAudited: (await client.query(`SELECT count(*)::int AS n FROM event_audit WHERE status = 'error'`)).rows[0]
        .n,
      injectedId: (await client.query('SELECT count(*)::int AS n FROM processed_events WHERE event_id = $1', [SQL]))
        .rows[0].n,
    }));
    expect(after).toEqual({ tables: 7, injectedAudit: 1, errorsAudited: HOSTILE.length, injectedId: 1 });
    // Hostile input created nothing and changed no state (the reconciliation checks every state).
    expect(await contracts()).toBe(contractsBefore);
    const result = await scenario.reconcile(tail.contracts, total);
    expect(result.mismatches).toEqual([]);
  });
});
