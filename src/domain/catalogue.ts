// The fixed vocabulary of the domain: which components exist and which event
// types start or end them.

export const COMPONENT_TYPES = ['energy_supply', 'battery_optimization', 'heatpump_optimization'] as const;
export type ComponentType = (typeof COMPONENT_TYPES)[number];

export const EVENT_TYPES = [
  'supply_energy_start',
  'supply_energy_end',
  'battery_optimization_start',
  'battery_optimization_end',
  'heatpump_optimization_start',
  'heatpump_optimization_end',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const ACTIONS = ['start', 'end'] as const;
export type Action = (typeof ACTIONS)[number];

/** What each event type does to which component. */
export const EVENT_CATALOGUE: Readonly<Record<EventType, { component: ComponentType; action: Action }>> = Object.freeze(
  {
    // Upstream says `supply_energy`, the component is `energy_supply`; both names are kept as they are.
    supply_energy_start: { component: 'energy_supply', action: 'start' },
    supply_energy_end: { component: 'energy_supply', action: 'end' },
    battery_optimization_start: { component: 'battery_optimization', action: 'start' },
    battery_optimization_end: { component: 'battery_optimization', action: 'end' },
    heatpump_optimization_start: { component: 'heatpump_optimization', action: 'start' },
    heatpump_optimization_end: { component: 'heatpump_optimization', action: 'end' },
  },
);

const eventTypes: ReadonlySet<string> = new Set(EVENT_TYPES);
const componentTypes: ReadonlySet<string> = new Set(COMPONENT_TYPES);

export function isEventType(value: string): value is EventType {
  return eventTypes.has(value);
}

export function isComponentType(value: string): value is ComponentType {
  return componentTypes.has(value);
}
