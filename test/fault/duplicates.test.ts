import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { OutboundMessage } from '../../src/kafka/port.js';
import { withClient } from '../support/database.js';
import { kafkaSource } from '../support/fault/reconcile.js';
import { createScenario, waitUntilConsumed, type Scenario } from '../support/fault/scenario.js';
import { startServiceProcess } from '../support/service-process.js';

// The same event produced twice — with the same event_id, and without one —
// changes state once; the second gets the original decision, duplicate: true.
// Other content under a decided event_id is EVENT_ID_CONFLICT and changes nothing.
// (Redelivery after a crash is the hard-crash scenario's business.)

const contracts = new Map([['d-1', ['energy_supply', 'battery_optimization']]]);
const message = (fields: Record<string, string>): OutboundMessage => ({
  key: 'd-1',
  value: JSON.stringify({ contract_number: 'd-1', ...fields }),
  headers: {},
});
// A start with a producer id, then the "same" id carrying a newer start that would otherwise win.
const withId = message({
  type: 'supply_energy_start',
  date: '2024-01-01',
  created_at: '2024-01-01T00:00:00Z',
  event_id: 'dup-1',
});
const sameIdNewer = message({
  type: 'supply_energy_start',
  date: '2024-06-01',
  created_at: '2024-02-01T00:00:00Z',
  event_id: 'dup-1',
});
// No event_id: the same content, once spelled with an offset, is the same event.
const noId = message({
  type: 'battery_optimization_start',
  date: '2024-03-01',
  created_at: '2024-03-01T12:00:00.000001Z',
});
const noIdAgain = message({
  type: 'battery_optimization_start',
  date: '2024-03-01',
  created_at: '2024-03-01T14:00:00.000001+02:00',
});
// A rejected event stays rejected when it comes again.
const rejected = message({
  type: 'supply_energy_end',
  date: '2023-12-01',
  created_at: '2024-01-02T00:00:00Z',
  event_id: 'dup-2',
});

let scenario: Scenario;

beforeAll(async () => {
  scenario = await createScenario({ name: 'duplicates', brokers: inject('kafkaBrokers'), partitions: 2 });
  await scenario.createContracts(contracts);
});
afterAll(async () => scenario?.dispose());

describe('duplicates', () => {
  it('applies each event once, answers repeats with the original decision and refuses a reused id', async () => {
    const service = await startServiceProcess(scenario.env);
    const sent = [withId, noId, rejected, withId, sameIdNewer, noIdAgain, rejected];
    await scenario.produce(sent);
    await waitUntilConsumed(scenario);
    expect(await service.stop('SIGTERM')).toBe(0);

    const offset = (o: { message: { source: unknown } }) => BigInt(kafkaSource(o.message.source)!.offset);
    const outcomes = (await scenario.outcomes(sent.length)).sort((a, b) => Number(offset(a) - offset(b)));
    expect(outcomes.map((o) => [o.message.code, o.message.duplicate])).toEqual([
      ['ACCEPTED', false],
      ['ACCEPTED', false],
      ['END_BEFORE_START', false],
      ['ACCEPTED', true],
      ['EVENT_ID_CONFLICT', false],
      ['ACCEPTED', true],
      ['END_BEFORE_START', true],
    ]);
    expect(outcomes[5]!.message.event_id).toBe(outcomes[1]!.message.event_id);

    const rows = await withClient(scenario.db.url, async (client) => ({
      states: (
        await client.query(
          `SELECT component_type::text AS component, start_date::text AS start FROM component_states ORDER BY 1`,
        )
      ).rows,
      audit: Number((await client.query('SELECT count(*) FROM event_audit')).rows[0].count),
    }));
    expect(rows).toEqual({
      states: [
        { component: 'battery_optimization', start: '2024-03-01' },
        { component: 'energy_supply', start: '2024-01-01' },
      ],
      audit: 3,
    });
    const result = await scenario.reconcile(contracts, sent.length);
    expect(result.mismatches).toEqual([]);
    expect(result.duplicates).toBe(3);
  });
});
