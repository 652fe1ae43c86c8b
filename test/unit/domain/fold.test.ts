import { describe, expect, it } from 'vitest';
import { EMPTY_COMPONENT_STATE } from '../../../src/domain/component-state.js';
import type { DomainEvent } from '../../../src/domain/decide.js';
import { foldAsGiven, foldInOrder } from '../../../src/domain/fold.js';
import { at, contract, event } from './fixtures.js';

// The example: A = start 01-01 created 10:01, B = end 01-05 created
// 10:02, C = start 01-03 created 10:03. In created_at order A and B are
// accepted and C restarts after the end: 01-01 → 01-05, whatever the arrival.
const A = event('supply_energy_start', '2024-01-01', at('2024-01-01T10:01:00Z'));
const B = event('supply_energy_end', '2024-01-05', at('2024-01-01T10:02:00Z'));
const C = event('supply_energy_start', '2024-01-03', at('2024-01-01T10:03:00Z'));
const named = { A, B, C };

const keyed = (names: string) =>
  [...names].map((name) => {
    const e: DomainEvent = named[name as keyof typeof named];
    return { key: { createdAt: e.createdAt, eventId: name }, event: e, item: name };
  });

describe('folding a component', () => {
  it.each(['ABC', 'ACB', 'BAC', 'BCA', 'CAB', 'CBA'])(
    'in created_at order gives the same state and decisions for arrival %s',
    (arrival) => {
      const { state, decided } = foldInOrder(contract(), 'energy_supply', EMPTY_COMPONENT_STATE, keyed(arrival));
      expect({ start: state.startDate, end: state.endDate }).toEqual({ start: '2024-01-01', end: '2024-01-05' });
      expect(decided.map(({ item, decision }) => [item, decision.code])).toEqual([
        ['A', 'ACCEPTED'],
        ['B', 'ACCEPTED'],
        ['C', 'RESTART_AFTER_END'],
      ]);
    },
  );

  it('as given depends on the arrival, as EVENT_ORDER=arrival does', () => {
    const { state, decided } = foldAsGiven(contract(), 'energy_supply', EMPTY_COMPONENT_STATE, keyed('CAB'));
    expect({ start: state.startDate, end: state.endDate }).toEqual({ start: '2024-01-03', end: null });
    expect(decided.map(({ decision }) => decision.code)).toEqual(['ACCEPTED', 'STALE_START', 'END_BEFORE_START']);
  });

  it('breaks a created_at tie by event_id', () => {
    const tied = event('supply_energy_start', '2024-02-01', at('2024-01-01T10:01:00Z'));
    const events = [
      { key: { createdAt: tied.createdAt, eventId: 'b' }, event: tied, item: 'b' },
      { key: { createdAt: A.createdAt, eventId: 'a' }, event: A, item: 'a' },
    ];
    const { state, decided } = foldInOrder(contract(), 'energy_supply', EMPTY_COMPONENT_STATE, events);
    expect(decided.map(({ item, decision }) => [item, decision.code])).toEqual([
      ['a', 'ACCEPTED'],
      ['b', 'STALE_START'],
    ]);
    expect(state.startDate).toBe('2024-01-01');
  });
});
