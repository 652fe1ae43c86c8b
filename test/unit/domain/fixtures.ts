import type { ComponentType, EventType } from '../../../src/domain/catalogue.js';
import type { ComponentState } from '../../../src/domain/component-state.js';
import type { ContractView, DomainEvent } from '../../../src/domain/decide.js';
import { parseInstant, type Micros } from '../../../src/domain/timestamp.js';

// Small builders that keep the rule tests readable.

/** An instant from ISO text; fails the test loudly on a typo. */
export function at(text: string): Micros {
  const micros = parseInstant(text);
  if (micros === undefined) throw new Error(`Bad instant in test: ${text}`);
  return micros;
}

export function event(type: EventType, date: string, createdAt: Micros, contractNumber = '1234'): DomainEvent {
  return { type, contractNumber, date, createdAt };
}

export function state(fields: Partial<ComponentState>): ComponentState {
  return { startDate: null, startEventCreatedAt: null, endDate: null, endEventCreatedAt: null, ...fields };
}

export function contract(
  states: Partial<Record<ComponentType, ComponentState>> = {},
  components: readonly ComponentType[] = ['energy_supply', 'battery_optimization', 'heatpump_optimization'],
  contractNumber = '1234',
): ContractView {
  return { contractNumber, components, states };
}

/** Freezes a contract view all the way down, so any mutation by the code under test throws. */
export function deepFrozen(view: ContractView): ContractView {
  for (const componentState of Object.values(view.states)) Object.freeze(componentState);
  Object.freeze(view.states);
  Object.freeze(view.components);
  return Object.freeze(view);
}
