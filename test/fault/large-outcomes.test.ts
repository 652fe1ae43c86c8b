import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { OutboundMessage } from '../../src/kafka/port.js';
import { createScenario, waitUntilConsumed, type Scenario } from '../support/fault/scenario.js';
import { startServiceProcess } from '../support/service-process.js';

// Outcomes larger than their events must never stall a partition: a flood of
// legal events whose contract number is full of quotes and backslashes (JSON
// escapes each, and the outcome repeats it beside a derived id, a source and a
// message), and one invalid event whose error outcome alone is larger than the
// outcome topic allows. Then an ordinary event must still be decided within seconds.

const OUTCOME_LIMIT = 8 * 1024; // the smallest limit the service accepts
const FLOOD = 1_500;
const awkward = (length: number) => '"\\'.repeat(length / 2);
const CONTRACT = awkward(64);
const contracts = new Map([[CONTRACT, ['energy_supply', 'battery_optimization', 'heatpump_optimization']]]);
let scenario: Scenario;

/** Every byte the broker stores of a record: key, value and headers (the record's own varints aside). */
const recordBytes = (message: { key: string | null; value: Buffer | string | null; headers: Record<string, string> }) =>
  Buffer.byteLength(message.key ?? '') +
  Buffer.byteLength(message.value ?? '') +
  Object.entries(message.headers).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value),
    0,
  );

function flood(): OutboundMessage[] {
  return Array.from({ length: FLOOD }, (_, i) => {
    const event = {
      type: i % 2 === 0 ? 'supply_energy_start' : 'supply_energy_end',
      contract_number: CONTRACT,
      date: '2024-12-01',
      created_at: new Date(Date.UTC(2024, 10, 1) + i * 60_000).toISOString(),
    };
    return { key: CONTRACT, value: JSON.stringify(event), headers: {} };
  });
}

beforeAll(async () => {
  scenario = await createScenario({
    name: 'large-outcomes',
    brokers: inject('kafkaBrokers'),
    partitions: 2,
    outcomesTopicConfig: { 'max.message.bytes': String(OUTCOME_LIMIT) },
  });
  await scenario.createContracts(contracts);
});
afterAll(async () => scenario?.dispose());

describe('outcomes larger than the outcome topic allows', () => {
  it('never stall a partition: a flood is published in requests that fit, an oversize outcome in compact form', async () => {
    const events = flood();
    const oversize: OutboundMessage = {
      key: CONTRACT,
      // Valid JSON, not a valid event: its error outcome quotes the value back, 4-byte characters and all.
      value: JSON.stringify({
        type: 'supply_energy_start',
        contract_number: CONTRACT,
        date: '2024-02-30',
        created_at: '2024-11-30T00:00:00Z',
        event_id: 'too-big-1',
        note: '\u{1F600}'.repeat(6_000),
      }),
      headers: {},
    };
    const after: OutboundMessage = {
      key: CONTRACT,
      value: JSON.stringify({
        type: 'battery_optimization_start',
        contract_number: CONTRACT,
        date: '2024-01-01',
        created_at: '2024-12-01T00:00:00Z',
        event_id: 'after-1',
      }),
      headers: {},
    };
    const service = await startServiceProcess({ ...scenario.env, LOG_LEVEL: 'warn' });
    await scenario.produce([...events, oversize]);
    await waitUntilConsumed(scenario, 120_000);
    const sentAt = Date.now();
    await scenario.produce([after]);
    await waitUntilConsumed(scenario, 30_000);
    const decidedWithin = Date.now() - sentAt;
    expect(await service.stop('SIGTERM')).toBe(0);

    const outcomes = await scenario.outcomes(FLOOD + 2);
    const byId = new Map(outcomes.map((o) => [o.message.event_id, o]));
    const floodOutcomes = outcomes.filter((o) => o.message.event?.type.startsWith('supply_energy'));
    const outcomeBytes = floodOutcomes.reduce(
      (sum, o) => sum + recordBytes({ key: o.key, value: JSON.stringify(o.raw), headers: o.headers }),
      0,
    );
    const eventBytes = events.reduce((sum, e) => sum + recordBytes(e), 0);
    console.log(
      `[large-outcomes] ${FLOOD} events of ${(eventBytes / FLOOD).toFixed(0)} B, outcomes of ${(outcomeBytes / FLOOD).toFixed(0)} B ` +
        `(${(outcomeBytes / eventBytes).toFixed(2)}×, ${(outcomeBytes / OUTCOME_LIMIT).toFixed(0)}× the topic limit); after-event decided ${decidedWithin} ms after it was sent`,
    );
    expect(outcomes).toHaveLength(FLOOD + 2);
    expect(floodOutcomes).toHaveLength(FLOOD);
    expect(floodOutcomes.every((o) => o.message.status !== 'error')).toBe(true);
    expect(outcomeBytes).toBeGreaterThan(2 * eventBytes);

    const compact = byId.get('too-big-1')!;
    expect(compact.message).toMatchObject({
      status: 'error',
      code: 'VALIDATION_ERROR',
      error: { code: 'VALIDATION_ERROR', details: { truncated: true } },
    });
    expect(
      recordBytes({ key: compact.key, value: JSON.stringify(compact.raw), headers: compact.headers }),
    ).toBeLessThan(OUTCOME_LIMIT);
    expect(byId.get('after-1')?.message).toMatchObject({ status: 'accepted', code: 'ACCEPTED' });
    expect(decidedWithin).toBeLessThan(10_000);
    expect((await scenario.reconcile(contracts, FLOOD + 2)).mismatches).toEqual([]);
  });
});
