import type { CalendarDate } from './calendar-date.js';
import { COMPONENT_TYPES, type ComponentType } from './catalogue.js';
import type { ContractView } from './decide.js';

export interface ComponentTimeline {
  start: CalendarDate | null;
  end: CalendarDate | null;
}

/** The timeline API's body: one entry per configured component. */
export interface ContractTimeline {
  contract_number: string;
  components: Partial<Record<ComponentType, ComponentTimeline>>;
}

/** Start and end date of every configured component, in catalogue order; null where unset. */
export function buildTimeline(contract: ContractView): ContractTimeline {
  const components: Partial<Record<ComponentType, ComponentTimeline>> = {};
  for (const component of COMPONENT_TYPES) {
    if (!contract.components.includes(component)) continue;
    const state = contract.states[component];
    components[component] = { start: state?.startDate ?? null, end: state?.endDate ?? null };
  }
  return { contract_number: contract.contractNumber, components };
}
