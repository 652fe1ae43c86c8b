import { describe, expect, it } from 'vitest';
import {
  compareDatabase,
  compareOutcomes,
  expectOutcomes,
  Mismatches,
  offsetViolations,
  type AuditRow,
  type ObservedOutcome,
  type OutcomeDelivery,
  type ProducedRecord,
  type StateRow,
} from '../../support/fault/reconcile-core.js';

// The fault suite's reconciliation on a small hand-written scenario: the
// outcomes a correct service publishes match, and each kind of wrong answer
// is reported. Ids were computed outside JavaScript (`derived:` and `printf … | sha256sum`).

const TOPIC = 'events';
const contracts = new Map([['k-1', ['energy_supply', 'battery_optimization']]]);
const record = (partition: number, offset: number, key: string | null, value: unknown): ProducedRecord => ({
  partition,
  offset: String(offset),
  key,
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
});
const energyStart = {
  type: 'supply_energy_start',
  contract_number: 'k-1',
  date: '2024-01-01',
  created_at: '2024-01-01T00:00:00Z',
  event_id: 'e-1',
};
const batteryStart = {
  type: 'battery_optimization_start',
  contract_number: 'k-1',
  date: '2024-03-01',
  created_at: '2024-03-01T12:00:00.000001Z',
  event_id: 'e-3',
};
const batteryAgainNoId = {
  type: 'battery_optimization_start',
  contract_number: 'k-1',
  date: '2024-03-01',
  created_at: '2024-03-01T14:00:00.000001+02:00',
};
const produced: ProducedRecord[] = [
  // Listed out of Kafka order on purpose: the reconciliation orders by (partition, offset).
  record(1, 0, 'nobody', {
    type: 'supply_energy_start',
    contract_number: 'nobody',
    date: '2024-05-01',
    created_at: '2024-05-01T00:00:00Z',
  }),
  record(0, 0, 'k-1', energyStart),
  record(0, 1, 'k-1', {
    type: 'supply_energy_end',
    contract_number: 'k-1',
    date: '2023-12-01',
    created_at: '2024-01-02T00:00:00Z',
    event_id: 'e-2',
  }),
  record(0, 2, 'k-1', '{"type":'),
  record(0, 3, 'k-1', { ...batteryStart, date: '2024-13-01' }), // invalid, with the id a later valid event uses
  record(0, 4, 'k-1', energyStart), // re-produced
  record(0, 5, 'k-1', batteryStart), // not a duplicate of the invalid message at 3
  record(0, 6, 'k-1', batteryAgainNoId), // a content id: another event, and stale
  record(0, 7, 'k-1', batteryAgainNoId), // re-produced
];
const ID_0_2 = 'derived:6c6b47e0373299b7e29aeeab706b80d72114e38c6d7473f2ecdddc9814d5c798'; // sha256('invalid\nevents\n0\n2')
const ID_BATTERY = 'derived:44ff445d785835dda3a6cd1e6daf1ddf0c01a15273999eeeeac77bab21ff8fda';
const ID_NOBODY = 'derived:33de83a6a29f432e39426849d001daa0bb57a6c7dc56e1db52d9e042dd5cd5f4';
const PROCESSED_AT = '2026-01-01T00:00:00.000000Z';

type Fields = Partial<ObservedOutcome['message']>;
const wireEvent = (fields: Record<string, string>) => ({
  type: fields.type!,
  contract_number: fields.contract_number!,
  date: fields.date!,
  created_at: '',
});
function outcome(
  partition: number,
  offset: number,
  fields: Fields & { key?: string | null; transport?: boolean },
): ObservedOutcome {
  const { key = 'k-1', transport = false, ...rest } = fields;
  const message = {
    event_id: '',
    status: 'accepted',
    code: 'ACCEPTED',
    duplicate: false,
    event: null,
    error: null,
    processed_at: PROCESSED_AT,
    source: { ...(transport ? { transport: 'kafka' } : {}), topic: TOPIC, partition, offset: String(offset) },
    ...rest,
  };
  return { key, headers: { 'event-id': message.event_id }, message, raw: message };
}
const energy = { ...wireEvent(energyStart), created_at: '2024-01-01T00:00:00.000000Z' };
const battery = { ...wireEvent(batteryStart), created_at: '2024-03-01T12:00:00.000001Z' };

/** What a correct service publishes for `produced`, written out by hand. */
const correct = (): ObservedOutcome[] => [
  outcome(0, 0, { event_id: 'e-1', event: energy }),
  outcome(0, 1, {
    event_id: 'e-2',
    status: 'rejected',
    code: 'END_BEFORE_START',
    event: {
      type: 'supply_energy_end',
      contract_number: 'k-1',
      date: '2023-12-01',
      created_at: '2024-01-02T00:00:00.000000Z',
    },
  }),
  outcome(0, 2, { event_id: ID_0_2, status: 'error', code: 'INVALID_JSON', error: { code: 'INVALID_JSON' } }),
  outcome(0, 3, { event_id: 'e-3', status: 'error', code: 'VALIDATION_ERROR', error: { code: 'VALIDATION_ERROR' } }),
  outcome(0, 4, { event_id: 'e-1', duplicate: true, event: energy }),
  outcome(0, 5, { event_id: 'e-3', event: battery, transport: true }),
  outcome(0, 6, { event_id: ID_BATTERY, status: 'rejected', code: 'STALE_START', event: battery }),
  outcome(0, 7, { event_id: ID_BATTERY, status: 'rejected', code: 'STALE_START', duplicate: true, event: battery }),
  outcome(1, 0, {
    event_id: ID_NOBODY,
    status: 'rejected',
    code: 'CONTRACT_NOT_FOUND',
    key: 'nobody',
    event: {
      type: 'supply_energy_start',
      contract_number: 'nobody',
      date: '2024-05-01',
      created_at: '2024-05-01T00:00:00.000000Z',
    },
  }),
];

function compare(outcomes: ObservedOutcome[], delivery: OutcomeDelivery = 'transactional') {
  const mismatches = new Mismatches();
  const counts = compareOutcomes(expectOutcomes(TOPIC, produced, contracts), outcomes, delivery, mismatches);
  return { ...counts, mismatches: mismatches.lines, kinds: mismatches.kinds };
}
describe('reconciliation of outcomes', () => {
  it('finds nothing wrong with a correct service, in either delivery mode', () => {
    for (const delivery of ['transactional', 'at-least-once'] as const) {
      expect(compare(correct(), delivery)).toEqual({
        outcomesSeen: 9,
        missingOutcomes: 0,
        extraOutcomes: 0,
        duplicates: 2,
        expectedDuplicates: 2,
        repeated: [],
        mismatches: [],
        kinds: {},
      });
    }
  });

  it('reports a missing outcome', () => {
    const result = compare(correct().filter((_, index) => index !== 5));
    expect(result.missingOutcomes).toBe(1);
    expect(result.mismatches).toEqual([`missing outcome: 0/5 (valid e-3, expected accepted/ACCEPTED)`]);
  });

  it('reports an extra outcome in transactional delivery, and only counts it in at-least-once delivery', () => {
    const outcomes = [...correct(), outcome(0, 1, { ...correct()[1]!.message })];
    expect(compare(outcomes, 'transactional')).toMatchObject({
      extraOutcomes: 1,
      mismatches: ['extra outcome: 0/1 answered 2 times'],
    });
    expect(compare(outcomes, 'at-least-once')).toMatchObject({ extraOutcomes: 1, mismatches: [] });
  });

  it('lists the messages answered more than once with where their copies sit on the outcome topic', () => {
    const outcomes = correct().map((o, index) => ({ ...o, partition: index === 1 ? 2 : 0, offset: String(index) }));
    outcomes.push({ ...outcomes[1]!, partition: 2, offset: '40' });
    expect(compare(outcomes).repeated).toEqual([
      {
        position: '0/1',
        copies: [
          { partition: 2, offset: '1' },
          { partition: 2, offset: '40' },
        ],
      },
    ]);
  });

  it('reports redelivered copies that differ, e.g. in processed_at, in either mode', () => {
    const outcomes = [
      ...correct(),
      outcome(0, 4, { ...correct()[4]!.message, processed_at: '2026-01-01T00:00:01.000000Z' }),
    ];
    expect(compare(outcomes, 'at-least-once').mismatches).toEqual([
      'copies differ: 0/4: copies differ in processed_at',
    ]);
    expect(compare(outcomes, 'transactional').kinds).toEqual({ 'extra outcome': 1, 'copies differ': 1 });
  });

  it('reports a redelivered copy marked as a duplicate', () => {
    const outcomes = [...correct(), outcome(0, 0, { ...correct()[0]!.message, duplicate: true })];
    expect(compare(outcomes, 'at-least-once').mismatches).toEqual(['copies differ: 0/0: copies differ in duplicate']);
  });

  it('reports wrong duplicate flags both ways', () => {
    const outcomes = correct();
    outcomes[4] = outcome(0, 4, { ...outcomes[4]!.message, duplicate: false });
    outcomes[5] = outcome(0, 5, { ...outcomes[5]!.message, duplicate: true }); // the invalid e-3 at 0/3 does not make it one
    expect(compare(outcomes).mismatches).toEqual([
      'wrong duplicate flag: 0/4: duplicate false, expected true (already decided at 0/0)',
      'wrong duplicate flag: 0/5: duplicate true, expected false (valid)',
    ]);
  });

  it('reports a wrong code, status or error', () => {
    const outcomes = correct();
    outcomes[1] = outcome(0, 1, { ...outcomes[1]!.message, code: 'END_WITHOUT_START' });
    outcomes[3] = outcome(0, 3, { ...outcomes[3]!.message, code: 'INVALID_JSON', error: { code: 'INVALID_JSON' } });
    outcomes[6] = outcome(0, 6, { ...outcomes[6]!.message, status: 'accepted' });
    expect(compare(outcomes).mismatches).toEqual([
      'wrong decision: 0/1: rejected/END_WITHOUT_START, expected rejected/END_BEFORE_START',
      'wrong decision: 0/3: error/INVALID_JSON, expected error/VALIDATION_ERROR (date)',
      'wrong error: 0/3: error "INVALID_JSON" with status error',
      'wrong decision: 0/6: accepted/STALE_START, expected rejected/STALE_START',
    ]);
  });

  it('reports a wrong event id: the position id where the producer id is due, and the reverse', () => {
    const outcomes = correct();
    // Today's service: an error outcome with a valid producer id still gets the position id.
    outcomes[3] = outcome(0, 3, {
      ...outcomes[3]!.message,
      event_id: 'derived:3c29b6f97eddfc678462d2ab89a1b01afa3511f8a139e5e42d335bb158b1b4c8',
    });
    outcomes[2] = outcome(0, 2, { ...outcomes[2]!.message, event_id: 'e-x' });
    expect(compare(outcomes).kinds).toEqual({ 'wrong event id': 2 });
    expect(compare(outcomes).mismatches[1]).toBe(
      'wrong event id: 0/3: derived:3c29b6f97eddfc678462d2ab89a1b01afa3511f8a139e5e42d335bb158b1b4c8, expected e-3 (invalid)',
    );
  });

  it('reports a wrong event, key, header or processed_at', () => {
    const outcomes = correct();
    outcomes[0] = outcome(0, 0, { ...outcomes[0]!.message, event: { ...energy, created_at: '2024-01-01T00:00:00Z' } });
    outcomes[1] = { ...outcomes[1]!, key: null };
    // Input that is not a valid event is keyed by its own key too (a compacted outcome topic refuses a null key).
    outcomes[2] = { ...outcomes[2]!, key: null };
    outcomes[8] = { ...outcomes[8]!, headers: {} };
    outcomes[5] = outcome(0, 5, { ...outcomes[5]!.message, processed_at: '2026-01-01T00:00:00.000Z' });
    expect(compare(outcomes).kinds).toEqual({
      'wrong event': 1,
      'wrong key': 2,
      'wrong event-id header': 1,
      'wrong processed_at': 1,
    });
  });

  it('reports outcomes for messages never produced', () => {
    const outcomes = [
      ...correct(),
      outcome(0, 99, { event_id: 'ghost' }),
      { ...outcome(0, 0, { event_id: 'http' }), raw: { source: { transport: 'http' } } },
    ];
    const result = compare(outcomes, 'at-least-once');
    expect(result.extraOutcomes).toBe(2);
    expect(result.kinds).toEqual({ 'outcome for no produced message': 2 });
  });

  it('reports an event id produced to two partitions as a problem of the workload', () => {
    const expectations = expectOutcomes(TOPIC, [...produced, record(1, 1, 'k-1', energyStart)], contracts);
    expect(expectations.workloadProblems).toEqual([
      'event id e-1 was produced to partitions 0 and 1: which came first is not defined',
    ]);
  });
});

describe('reconciliation of the database', () => {
  const audit = (): AuditRow[] => [
    {
      event_id: 'e-1',
      status: 'accepted',
      code: 'ACCEPTED',
      kafka_topic: TOPIC,
      kafka_partition: 0,
      kafka_offset: '0',
    },
    {
      event_id: 'e-2',
      status: 'rejected',
      code: 'END_BEFORE_START',
      kafka_topic: TOPIC,
      kafka_partition: 0,
      kafka_offset: '1',
    },
    {
      event_id: ID_0_2,
      status: 'error',
      code: 'INVALID_JSON',
      kafka_topic: TOPIC,
      kafka_partition: 0,
      kafka_offset: '2',
    },
    {
      event_id: 'e-3',
      status: 'error',
      code: 'VALIDATION_ERROR',
      kafka_topic: TOPIC,
      kafka_partition: 0,
      kafka_offset: '3',
    },
    {
      event_id: 'e-3',
      status: 'accepted',
      code: 'ACCEPTED',
      kafka_topic: TOPIC,
      kafka_partition: 0,
      kafka_offset: '5',
    },
    {
      event_id: ID_BATTERY,
      status: 'rejected',
      code: 'STALE_START',
      kafka_topic: TOPIC,
      kafka_partition: 0,
      kafka_offset: '6',
    },
    {
      event_id: ID_NOBODY,
      status: 'rejected',
      code: 'CONTRACT_NOT_FOUND',
      kafka_topic: TOPIC,
      kafka_partition: 1,
      kafka_offset: '0',
    },
  ];
  const states = (): StateRow[] => [
    {
      contract_number: 'k-1',
      component: 'energy_supply',
      start_date: '2024-01-01',
      start_at: '2024-01-01T00:00:00.000000Z',
      end_date: null,
      end_at: null,
    },
    {
      contract_number: 'k-1',
      component: 'battery_optimization',
      start_date: '2024-03-01',
      start_at: '2024-03-01T12:00:00.000001Z',
      end_date: null,
      end_at: null,
    },
  ];
  const check = (rows: { audit?: AuditRow[]; states: StateRow[] }) => {
    const mismatches = new Mismatches();
    compareDatabase(expectOutcomes(TOPIC, produced, contracts), rows, mismatches);
    return mismatches.lines;
  };

  it('accepts one audit row per decision and the reference states', () => {
    expect(check({ audit: audit(), states: states() })).toEqual([]);
    // The invalid message's row may also carry its position id.
    const positionId = audit().map((row) =>
      row.kafka_offset === '3'
        ? { ...row, event_id: 'derived:3c29b6f97eddfc678462d2ab89a1b01afa3511f8a139e5e42d335bb158b1b4c8' }
        : row,
    );
    expect(check({ audit: positionId, states: states() })).toEqual([]);
  });

  it('reports a missing, doubled, misplaced or unexpected audit row', () => {
    const rows = audit();
    expect(check({ audit: rows.slice(1), states: states() })).toEqual(['audit rows: e-1 has 0 audit rows']);
    expect(check({ audit: [...rows, { ...rows[0]!, kafka_offset: '4' }], states: states() })).toEqual([
      'audit rows: e-1 has 2 audit rows',
    ]);
    expect(check({ audit: [{ ...rows[0]!, kafka_offset: '4' }, ...rows.slice(1)], states: states() })).toEqual([
      'audit rows: e-1 audited at 0/4, decided at 0/0',
    ]);
    expect(check({ audit: [...rows, { ...rows[1]!, event_id: 'stray' }], states: states() })).toEqual([
      'audit rows: audit row for no expected decision: stray rejected/END_BEFORE_START at 0/1',
    ]);
  });

  it('reports a state that differs from the reference model', () => {
    const rows = states();
    rows[1] = { ...rows[1]!, start_at: '2024-03-01T12:00:00.000000Z' };
    expect(check({ states: rows })).toEqual([
      'wrong state: k-1/battery_optimization: ["2024-03-01","2024-03-01T12:00:00.000000Z",null,null], reference ["2024-03-01","2024-03-01T12:00:00.000001Z",null,null]',
    ]);
  });
});

describe('committed offsets', () => {
  it('reports messages below the committed offset whose decision is not recorded', () => {
    const expectations = expectOutcomes(TOPIC, produced, contracts);
    const committed = new Map([[0, 4n]]);
    expect(
      offsetViolations(expectations, committed, {
        ledger: new Set(['e-1', 'e-2', ID_0_2]),
        auditPositions: new Set(['0/3']),
      }),
    ).toEqual({
      committed: 4,
      violations: [],
    });
    // The invalid message at 0/3 is not recorded by the valid event e-3's ledger row.
    expect(
      offsetViolations(expectations, committed, {
        ledger: new Set(['e-1', 'e-2', ID_0_2, 'e-3']),
        auditPositions: new Set(),
      }),
    ).toEqual({
      committed: 4,
      violations: ['0/3 committed but not recorded'],
    });
  });
});
