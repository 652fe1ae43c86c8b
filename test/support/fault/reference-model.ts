// An independent reference model of SPEC section 2 for reconciliations: the
// rules as a table scanned top-down over plain strings (dates as YYYY-MM-DD,
// instants normalised to YYYY-MM-DDTHH:MM:SS.ffffffZ, so string order is
// time order). It shares no code with src/domain.

export interface ReferenceEvent {
  type: string;
  contract: string;
  date: string;
  createdAt: string;
}

export interface ReferenceMark {
  date: string;
  createdAt: string;
}

export interface ReferenceComponent {
  start?: ReferenceMark;
  end?: ReferenceMark;
}

interface RuleInput {
  exists: boolean;
  configured: boolean;
  isStart: boolean;
  current: ReferenceComponent;
  event: ReferenceEvent;
}

const RULES: ReadonlyArray<readonly [string, (x: RuleInput) => boolean]> = [
  ['CONTRACT_NOT_FOUND', (x) => !x.exists],
  ['COMPONENT_NOT_CONFIGURED', (x) => !x.configured],
  ['RESTART_AFTER_END', (x) => x.isStart && !!x.current.end && x.event.createdAt > x.current.end.createdAt],
  ['STALE_START', (x) => x.isStart && !!x.current.start && x.event.createdAt <= x.current.start.createdAt],
  ['START_AFTER_END_DATE', (x) => x.isStart && !!x.current.end && x.event.date > x.current.end.date],
  ['END_WITHOUT_START', (x) => !x.isStart && !x.current.start],
  ['END_BEFORE_START', (x) => !x.isStart && !!x.current.start && x.event.createdAt <= x.current.start.createdAt],
  ['STALE_END', (x) => !x.isStart && !!x.current.end && x.event.createdAt <= x.current.end.createdAt],
  ['END_BEFORE_START', (x) => !x.isStart && !!x.current.start && x.event.date < x.current.start.date],
];

export const componentOf = (type: string): string => {
  const stem = type.replace(/_(start|end)$/, '');
  return stem === 'supply_energy' ? 'energy_supply' : stem;
};

/** The reference state store: folds one event at a time and answers its code. */
export class ReferenceModel {
  readonly states = new Map<string, ReferenceComponent>();

  constructor(private readonly contracts: ReadonlyMap<string, readonly string[]>) {}

  apply(event: ReferenceEvent): string {
    const component = componentOf(event.type);
    const key = `${event.contract}/${component}`;
    const configured = this.contracts.get(event.contract);
    const current = this.states.get(key) ?? {};
    const isStart = event.type.endsWith('_start');
    const input: RuleInput = {
      exists: configured !== undefined,
      configured: configured?.includes(component) ?? false,
      isStart,
      current,
      event,
    };
    const code = RULES.find(([, applies]) => applies(input))?.[0] ?? 'ACCEPTED';
    if (code === 'ACCEPTED') {
      const mark = { date: event.date, createdAt: event.createdAt };
      this.states.set(key, isStart ? { ...current, start: mark } : { ...current, end: mark });
    }
    return code;
  }
}
