import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { EVENT_TYPES, type ComponentType, type EventType } from '../../../src/domain/catalogue.js';
import type { ComponentState } from '../../../src/domain/component-state.js';
import { decide, type ContractView } from '../../../src/domain/decide.js';
import { DECISION_CODES } from '../../../src/domain/outcome-codes.js';
import { at, deepFrozen } from './fixtures.js';

// decide is checked against a reference model written separately from the
// spec text: the rules as a table of predicates scanned top-down, components
// derived from the event type's spelling, dates compared as days and
// created_at as small integer ticks (1 µs apart in the real events).

// ---- Reference model ------------------------------------------------------

interface ModelEvent {
  type: string;
  contract: string;
  date: string;
  tick: number;
}

interface ModelMark {
  date: string;
  day: number;
  tick: number;
}

interface ModelComponent {
  start?: ModelMark;
  end?: ModelMark;
}

interface RuleInput {
  exists: boolean;
  configured: boolean;
  isStart: boolean;
  current: ModelComponent;
  day: number;
  tick: number;
}

const MODEL_CONTRACTS: Record<string, readonly string[]> = {
  A: ['energy_supply', 'battery_optimization', 'heatpump_optimization'],
  B: ['battery_optimization'],
};

// SPEC section 2, "Rules, checked in this order (first match decides)".
const RULES: ReadonlyArray<readonly [string, (x: RuleInput) => boolean]> = [
  ['CONTRACT_NOT_FOUND', (x) => !x.exists],
  ['COMPONENT_NOT_CONFIGURED', (x) => !x.configured],
  ['RESTART_AFTER_END', (x) => x.isStart && x.current.end !== undefined && x.tick > x.current.end.tick],
  ['STALE_START', (x) => x.isStart && x.current.start !== undefined && x.tick <= x.current.start.tick],
  ['START_AFTER_END_DATE', (x) => x.isStart && x.current.end !== undefined && x.day > x.current.end.day],
  ['END_WITHOUT_START', (x) => !x.isStart && x.current.start === undefined],
  ['END_BEFORE_START', (x) => !x.isStart && x.current.start !== undefined && x.tick <= x.current.start.tick],
  ['STALE_END', (x) => !x.isStart && x.current.end !== undefined && x.tick <= x.current.end.tick],
  ['END_BEFORE_START', (x) => !x.isStart && x.current.start !== undefined && x.day < x.current.start.day],
];

function modelComponentOf(type: string): string {
  const stem = type.replace(/_(start|end)$/, '');
  return stem === 'supply_energy' ? 'energy_supply' : stem;
}

const dayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / 86_400_000;

/** Folds the events through the model; returns each event's code and the final states by "contract/component". */
function runModel(events: readonly ModelEvent[]): { codes: string[]; states: Map<string, ModelComponent> } {
  const states = new Map<string, ModelComponent>();
  const codes: string[] = [];
  for (const e of events) {
    const component = modelComponentOf(e.type);
    const key = `${e.contract}/${component}`;
    const configuredComponents = MODEL_CONTRACTS[e.contract];
    const current = states.get(key) ?? {};
    const input: RuleInput = {
      exists: configuredComponents !== undefined,
      configured: configuredComponents?.includes(component) ?? false,
      isStart: e.type.endsWith('_start'),
      current,
      day: dayNumber(e.date),
      tick: e.tick,
    };
    const code = RULES.find(([, applies]) => applies(input))?.[0] ?? 'ACCEPTED';
    codes.push(code);
    if (code === 'ACCEPTED') {
      const mark = { date: e.date, day: input.day, tick: e.tick };
      states.set(key, input.isStart ? { ...current, start: mark } : { ...current, end: mark });
    }
  }
  return { codes, states };
}

// ---- Generators -------------------------------------------------------------

const DATES = ['2024-02-28', '2024-02-29', '2024-03-01', '2024-12-31'];
const TICK_ZERO = at('2024-06-01T00:00:00Z');
const micros = (tick: number): bigint => TICK_ZERO + BigInt(tick);

const contractArb = fc.oneof(
  { arbitrary: fc.constant('A'), weight: 6 },
  { arbitrary: fc.constant('B'), weight: 3 },
  { arbitrary: fc.constant('UNKNOWN'), weight: 1 },
);

/**
 * Event sequences whose created_at either comes from a pool of five ticks
 * (so equal and older instants are common) or drifts upward with jitter
 * (so components get further through their life cycle).
 */
const eventsArb = fc
  .record({
    pooled: fc.boolean(),
    steps: fc.array(
      fc.record({
        type: fc.constantFrom(...EVENT_TYPES),
        contract: contractArb,
        date: fc.constantFrom(...DATES),
        jitter: fc.integer({ min: -3, max: 1 }),
      }),
      // Full-length sequences: the rarer codes need a start, an end and then a late-arriving start.
      { minLength: 1, maxLength: 40, size: 'max' },
    ),
  })
  .map(({ pooled, steps }) =>
    steps.map(({ jitter, ...rest }, index): ModelEvent => ({ ...rest, tick: pooled ? jitter + 3 : index + jitter })),
  );

// ---- The system under test, driven like the store would ------------------

function freshViews(): Map<string, ContractView> {
  const views = new Map<string, ContractView>();
  for (const [contractNumber, components] of Object.entries(MODEL_CONTRACTS)) {
    views.set(contractNumber, { contractNumber, components: components as ComponentType[], states: {} });
  }
  return views;
}

function expectInvariant(s: ComponentState): void {
  expect(s.startDate === null).toBe(s.startEventCreatedAt === null);
  expect(s.endDate === null).toBe(s.endEventCreatedAt === null);
  if (s.endDate !== null) expect(s.startDate).not.toBeNull();
  if (s.startDate !== null && s.endDate !== null) expect(s.startDate <= s.endDate).toBe(true);
  if (s.startEventCreatedAt !== null && s.endEventCreatedAt !== null)
    expect(s.startEventCreatedAt <= s.endEventCreatedAt).toBe(true);
}

function expectSameState(actual: ComponentState | undefined, expected: ModelComponent | undefined): void {
  expect({
    startDate: actual?.startDate ?? null,
    startEventCreatedAt: actual?.startEventCreatedAt ?? null,
    endDate: actual?.endDate ?? null,
    endEventCreatedAt: actual?.endEventCreatedAt ?? null,
  }).toEqual({
    startDate: expected?.start?.date ?? null,
    startEventCreatedAt: expected?.start ? micros(expected.start.tick) : null,
    endDate: expected?.end?.date ?? null,
    endEventCreatedAt: expected?.end ? micros(expected.end.tick) : null,
  });
}

describe('decide agrees with an independent model of the rules', () => {
  it('on every code, every state and the invariant', () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const model = runModel(events);
        const views = freshViews();
        events.forEach((e, index) => {
          const view = views.get(e.contract);
          const decision = decide(view && deepFrozen(view), {
            type: e.type as EventType,
            contractNumber: e.contract,
            date: e.date,
            createdAt: micros(e.tick),
          });
          expect(decision.code).toBe(model.codes[index]);
          expect(decision.status).toBe(decision.code === 'ACCEPTED' ? 'accepted' : 'rejected');
          expect(decision.component).toBe(modelComponentOf(e.type));
          expect(decision.action).toBe(e.type.endsWith('_start') ? 'start' : 'end');
          expect(decision.nextState === null).toBe(decision.status === 'rejected');
          if (view && decision.nextState) {
            expectInvariant(decision.nextState);
            views.set(e.contract, { ...view, states: { ...view.states, [decision.component]: decision.nextState } });
          }
        });
        for (const [contractNumber, view] of views) {
          for (const component of view.components) {
            expectSameState(view.states[component], model.states.get(`${contractNumber}/${component}`));
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('is fed sequences that reach every decision code', () => {
    const reached = new Set(fc.sample(eventsArb, 500).flatMap((events) => runModel(events).codes));
    expect([...reached].sort()).toEqual([...DECISION_CODES].sort());
  });
});
