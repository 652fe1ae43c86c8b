import { describe, it, expect } from 'vitest';
import { decide } from '../../../src/domain/decide.js';
import { EMPTY_COMPONENT_STATE } from '../../../src/domain/component-state.js';
import { DECISION_MESSAGES } from '../../../src/domain/outcome-codes.js';
import { at, contract, deepFrozen, event, state } from './fixtures.js';

const T1 = at('2024-06-01T10:00:00.000001Z');
const T2 = at('2024-06-01T10:00:00.000002Z');
const T3 = at('2024-06-01T10:00:00.000003Z');
const T4 = at('2024-06-01T10:00:00.000004Z');

/** A battery component started on 2024-03-10 (at T2). */
const started = state({ startDate: '2024-03-10', startEventCreatedAt: T2 });
/** The same component, ended on 2024-03-20 (at T3). */
const ended = state({ ...started, endDate: '2024-03-20', endEventCreatedAt: T3 });
const withBattery = (componentState = EMPTY_COMPONENT_STATE) =>
  deepFrozen(contract({ battery_optimization: componentState }));

describe('decide: contract and component', () => {
  it('rejects an event for a contract that does not exist', () => {
    const decision = decide(undefined, event('supply_energy_start', '2024-01-01', T1, '9999'));
    expect(decision).toEqual({
      status: 'rejected',
      code: 'CONTRACT_NOT_FOUND',
      message: 'Contract 9999 not found.',
      component: 'energy_supply',
      action: 'start',
      nextState: null,
    });
  });

  it('rejects an event for a component the contract does not have', () => {
    const onlyBattery = deepFrozen(contract({}, ['battery_optimization']));
    const decision = decide(onlyBattery, event('heatpump_optimization_end', '2024-01-01', T1));
    expect(decision).toEqual({
      status: 'rejected',
      code: 'COMPONENT_NOT_CONFIGURED',
      message: 'Component heatpump_optimization is not configured for contract 1234.',
      component: 'heatpump_optimization',
      action: 'end',
      nextState: null,
    });
  });

  it('checks the component before the state rules', () => {
    const onlyBattery = deepFrozen(contract({}, ['battery_optimization']));
    expect(decide(onlyBattery, event('supply_energy_end', '2024-01-01', T1)).code).toBe('COMPONENT_NOT_CONFIGURED');
  });

  it('treats a configured component without stored state as untouched', () => {
    const decision = decide(deepFrozen(contract({})), event('battery_optimization_start', '2024-03-10', T1));
    expect(decision.code).toBe('ACCEPTED');
    expect(decision.nextState).toEqual(state({ startDate: '2024-03-10', startEventCreatedAt: T1 }));
  });
});

describe('decide: start events', () => {
  it('accepts the first start and says so', () => {
    const decision = decide(withBattery(), event('battery_optimization_start', '2024-03-10', T2));
    expect(decision).toEqual({
      status: 'accepted',
      code: 'ACCEPTED',
      message: 'Event processed successfully.',
      component: 'battery_optimization',
      action: 'start',
      nextState: started,
    });
  });

  it('lets a newer start overwrite the start, to a later or an earlier date', () => {
    expect(decide(withBattery(started), event('battery_optimization_start', '2024-05-01', T3)).nextState).toEqual(
      state({ startDate: '2024-05-01', startEventCreatedAt: T3 }),
    );
    expect(decide(withBattery(started), event('battery_optimization_start', '2024-01-01', T3)).nextState).toEqual(
      state({ startDate: '2024-01-01', startEventCreatedAt: T3 }),
    );
  });

  it('rejects a start as stale when created at the same instant as the existing start', () => {
    const decision = decide(withBattery(started), event('battery_optimization_start', '2024-05-01', T2));
    expect(decision).toMatchObject({
      status: 'rejected',
      code: 'STALE_START',
      message: DECISION_MESSAGES.STALE_START,
      nextState: null,
    });
    expect(decision.message).toBe('Start event ignored: older or equal to existing start event.');
  });

  it('rejects a start as stale when created before the existing start', () => {
    expect(decide(withBattery(started), event('battery_optimization_start', '2024-05-01', T1)).code).toBe(
      'STALE_START',
    );
  });

  it('rejects a start created after the end: a terminated component cannot restart', () => {
    const decision = decide(withBattery(ended), event('battery_optimization_start', '2024-03-10', T4));
    expect(decision.code).toBe('RESTART_AFTER_END');
    expect(decision.message).toBe('Start event that comes after the end event should be rejected.');
  });

  it('checks restart-after-end before the date, even for a start date beyond the end date', () => {
    expect(decide(withBattery(ended), event('battery_optimization_start', '2024-12-31', T4)).code).toBe(
      'RESTART_AFTER_END',
    );
  });

  it('does not call a start created at the same instant as the end a restart: it is accepted when its date fits', () => {
    const decision = decide(withBattery(ended), event('battery_optimization_start', '2024-03-15', T3));
    expect(decision.code).toBe('ACCEPTED');
    expect(decision.nextState).toEqual({ ...ended, startDate: '2024-03-15', startEventCreatedAt: T3 });
  });

  it('rejects a start created at the same instant as the end when its date is after the end date', () => {
    expect(decide(withBattery(ended), event('battery_optimization_start', '2024-03-21', T3)).code).toBe(
      'START_AFTER_END_DATE',
    );
  });

  it('rejects a start dated after the end date, with its message', () => {
    // An end without a recorded start: a state the rules never produce, but it isolates rule 3.3.
    const endOnly = state({ endDate: '2024-03-20', endEventCreatedAt: T3 });
    const decision = decide(withBattery(endOnly), event('battery_optimization_start', '2024-03-21', T2));
    expect(decision.code).toBe('START_AFTER_END_DATE');
    expect(decision.message).toBe('Start date cannot be after the existing end date.');
  });

  it('accepts a start on the end date itself', () => {
    const endOnly = state({ endDate: '2024-03-20', endEventCreatedAt: T3 });
    expect(decide(withBattery(endOnly), event('battery_optimization_start', '2024-03-20', T2)).code).toBe('ACCEPTED');
  });

  it('prefers stale-start over start-after-end-date', () => {
    expect(decide(withBattery(ended), event('battery_optimization_start', '2024-12-31', T1)).code).toBe('STALE_START');
  });
});

describe('decide: end events', () => {
  it('rejects an end when there is no start', () => {
    const decision = decide(withBattery(), event('battery_optimization_end', '2024-03-20', T3));
    expect(decision.code).toBe('END_WITHOUT_START');
    expect(decision.message).toBe('End event without a start event should be rejected.');
  });

  it('accepts an end after the start and keeps the start', () => {
    const decision = decide(withBattery(started), event('battery_optimization_end', '2024-03-20', T3));
    expect(decision).toMatchObject({ status: 'accepted', code: 'ACCEPTED', action: 'end' });
    expect(decision.nextState).toEqual(ended);
  });

  it('accepts an end on the same day as the start', () => {
    expect(decide(withBattery(started), event('battery_optimization_end', '2024-03-10', T3)).nextState).toEqual(
      state({ ...started, endDate: '2024-03-10', endEventCreatedAt: T3 }),
    );
  });

  it('rejects an end created at the same instant as the start', () => {
    const decision = decide(withBattery(started), event('battery_optimization_end', '2024-03-20', T2));
    expect(decision.code).toBe('END_BEFORE_START');
    expect(decision.message).toBe('End event cannot occur before start event.');
  });

  it('rejects an end created before the start', () => {
    expect(decide(withBattery(started), event('battery_optimization_end', '2024-03-20', T1)).code).toBe(
      'END_BEFORE_START',
    );
  });

  it('rejects an end dated before the start date', () => {
    expect(decide(withBattery(started), event('battery_optimization_end', '2024-03-09', T3)).code).toBe(
      'END_BEFORE_START',
    );
  });

  it('lets a newer end overwrite the end, to a later or an earlier date', () => {
    expect(decide(withBattery(ended), event('battery_optimization_end', '2024-04-01', T4)).nextState).toEqual({
      ...ended,
      endDate: '2024-04-01',
      endEventCreatedAt: T4,
    });
    expect(decide(withBattery(ended), event('battery_optimization_end', '2024-03-10', T4)).nextState).toEqual({
      ...ended,
      endDate: '2024-03-10',
      endEventCreatedAt: T4,
    });
  });

  it('rejects an end as stale when created at the same instant as the existing end', () => {
    const decision = decide(withBattery(ended), event('battery_optimization_end', '2024-04-01', T3));
    expect(decision.code).toBe('STALE_END');
    expect(decision.message).toBe('End event ignored: older or equal to existing end event.');
  });

  it('prefers stale-end over an end date before the start date', () => {
    const laterEnd = state({ ...started, endDate: '2024-03-20', endEventCreatedAt: T4 });
    expect(decide(withBattery(laterEnd), event('battery_optimization_end', '2024-01-01', T3)).code).toBe('STALE_END');
  });

  it('prefers end-before-start by creation over stale-end', () => {
    // The end was recorded before a newer start arrived (start and end created at the same instant).
    const sameInstant = state({
      startDate: '2024-03-10',
      startEventCreatedAt: T3,
      endDate: '2024-03-20',
      endEventCreatedAt: T3,
    });
    expect(decide(withBattery(sameInstant), event('battery_optimization_end', '2024-03-25', T2)).code).toBe(
      'END_BEFORE_START',
    );
  });

  it('rejects a newer end dated before the start date', () => {
    expect(decide(withBattery(ended), event('battery_optimization_end', '2024-03-09', T4)).code).toBe(
      'END_BEFORE_START',
    );
  });
});

describe('decide: purity and invariant', () => {
  it('never changes its inputs (they are deeply frozen here)', () => {
    const view = withBattery(ended);
    const input = Object.freeze(event('battery_optimization_end', '2024-04-01', T4));
    expect(() => decide(view, input)).not.toThrow();
    expect(view.states.battery_optimization).toEqual(ended);
  });

  it('returns a fresh state object, not the stored one', () => {
    const view = withBattery(started);
    const decision = decide(view, event('battery_optimization_end', '2024-03-20', T3));
    expect(decision.nextState).not.toBe(view.states.battery_optimization);
  });

  it('keeps start_date <= end_date: no accepted event can cross the dates', () => {
    const crossings = [
      decide(withBattery(ended), event('battery_optimization_start', '2024-03-21', T3)),
      decide(withBattery(ended), event('battery_optimization_end', '2024-03-09', T4)),
      decide(withBattery(started), event('battery_optimization_end', '2024-03-09', T3)),
    ];
    for (const decision of crossings) expect(decision.status).toBe('rejected');
  });
});
