import { describe, it, expect } from 'vitest';
import {
  COMPONENT_TYPES,
  EVENT_CATALOGUE,
  EVENT_TYPES,
  isComponentType,
  isEventType,
} from '../../../src/domain/catalogue.js';

describe('catalogue', () => {
  it('maps the upstream supply_energy events to the energy_supply component', () => {
    expect(EVENT_CATALOGUE.supply_energy_start).toEqual({ component: 'energy_supply', action: 'start' });
    expect(EVENT_CATALOGUE.supply_energy_end).toEqual({ component: 'energy_supply', action: 'end' });
  });

  it('has one start and one end event for every component', () => {
    for (const component of COMPONENT_TYPES) {
      const actions = EVENT_TYPES.filter((type) => EVENT_CATALOGUE[type].component === component).map(
        (type) => EVENT_CATALOGUE[type].action,
      );
      expect(actions.sort()).toEqual(['end', 'start']);
    }
  });

  it('names every event type after its action', () => {
    for (const type of EVENT_TYPES) expect(type.endsWith(`_${EVENT_CATALOGUE[type].action}`)).toBe(true);
  });

  it('recognises exactly the known names', () => {
    expect(isEventType('battery_optimization_end')).toBe(true);
    expect(isEventType('energy_supply_start')).toBe(false);
    expect(isEventType('toString')).toBe(false);
    expect(isComponentType('heatpump_optimization')).toBe(true);
    expect(isComponentType('supply_energy')).toBe(false);
    expect(isComponentType('')).toBe(false);
  });
});
