import { describe, it, expect } from 'vitest';
import { buildTimeline } from '../../../src/domain/timeline.js';
import { at, contract, state } from './fixtures.js';

describe('buildTimeline', () => {
  it('lists every configured component in catalogue order, with null where unset', () => {
    const view = contract(
      { battery_optimization: state({ startDate: '2024-03-03', startEventCreatedAt: at('2024-01-01T00:00:00Z') }) },
      ['heatpump_optimization', 'battery_optimization'],
      'K-1',
    );
    const timeline = buildTimeline(view);
    expect(timeline).toEqual({
      contract_number: 'K-1',
      components: {
        battery_optimization: { start: '2024-03-03', end: null },
        heatpump_optimization: { start: null, end: null },
      },
    });
    expect(Object.keys(timeline.components)).toEqual(['battery_optimization', 'heatpump_optimization']);
  });

  it('leaves out components the contract does not have, even with stray state', () => {
    const view = contract({ energy_supply: state({ startDate: '2024-01-01' }) }, ['battery_optimization']);
    expect(buildTimeline(view).components).toEqual({ battery_optimization: { start: null, end: null } });
  });
});
