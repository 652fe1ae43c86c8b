import { describe, it, expect } from 'vitest';
import type { EventType } from '../../../src/domain/catalogue.js';
import { decide, type ContractView, type Decision } from '../../../src/domain/decide.js';
import type { DecisionCode } from '../../../src/domain/outcome-codes.js';
import { buildTimeline } from '../../../src/domain/timeline.js';
import { at, contract, event } from './fixtures.js';

// SPEC section 2, "Worked example": twelve events, one minute apart.
const EXAMPLE: ReadonlyArray<[EventType, string, string, DecisionCode]> = [
  ['supply_energy_start', '1234', '2024-12-01', 'ACCEPTED'],
  ['supply_energy_end', '1234', '2024-12-31', 'ACCEPTED'],
  ['battery_optimization_start', '1234', '2024-03-03', 'ACCEPTED'],
  ['battery_optimization_end', '1234', '2024-04-04', 'ACCEPTED'],
  ['heatpump_optimization_start', '1234', '2025-03-03', 'ACCEPTED'],
  ['heatpump_optimization_end', '1234', '2025-04-04', 'ACCEPTED'],
  ['battery_optimization_end', '1234', '2024-02-01', 'END_BEFORE_START'],
  ['supply_energy_start', '1234', '2024-12-01', 'RESTART_AFTER_END'],
  ['supply_energy_start', '9999', '2024-12-01', 'CONTRACT_NOT_FOUND'],
  ['battery_optimization_start', '1234', '2024-03-15', 'RESTART_AFTER_END'],
  ['battery_optimization_end', '1234', '2024-04-15', 'ACCEPTED'],
  ['heatpump_optimization_end', '1234', '2024-04-01', 'END_BEFORE_START'],
];

const ONE_MINUTE = 60_000_000n;

/** Runs the example through decide, applying each accepted state as the store would. */
function replay(): { decisions: Decision[]; view: ContractView } {
  let view = contract();
  const first = at('2024-11-01T08:00:00Z');
  const decisions = EXAMPLE.map(([type, contractNumber, date], index) => {
    const known = contractNumber === view.contractNumber ? view : undefined;
    const decision = decide(known, event(type, date, first + BigInt(index) * ONE_MINUTE, contractNumber));
    if (decision.nextState) view = { ...view, states: { ...view.states, [decision.component]: decision.nextState } };
    return decision;
  });
  return { decisions, view };
}

describe('the worked example of the spec', () => {
  const { decisions, view } = replay();

  EXAMPLE.forEach(([type, contractNumber, date, expected], index) => {
    it(`#${index + 1} ${type} ${contractNumber} ${date} → ${expected}`, () => {
      expect(decisions[index]?.code).toBe(expected);
      expect(decisions[index]?.status).toBe(expected === 'ACCEPTED' ? 'accepted' : 'rejected');
    });
  });

  it('ends with the timeline the spec gives', () => {
    expect(buildTimeline(view)).toEqual({
      contract_number: '1234',
      components: {
        energy_supply: { start: '2024-12-01', end: '2024-12-31' },
        battery_optimization: { start: '2024-03-03', end: '2024-04-15' },
        heatpump_optimization: { start: '2025-03-03', end: '2025-04-04' },
      },
    });
  });

  it('words the rejections as the spec does', () => {
    expect(decisions.map((d) => d.message)).toEqual([
      ...Array<string>(6).fill('Event processed successfully.'),
      'End event cannot occur before start event.',
      'Start event that comes after the end event should be rejected.',
      'Contract 9999 not found.',
      'Start event that comes after the end event should be rejected.',
      'Event processed successfully.',
      'End event cannot occur before start event.',
    ]);
  });
});
