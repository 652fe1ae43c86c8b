import {
  COMPONENT_TYPES,
  EVENT_CATALOGUE,
  EVENT_TYPES,
  type ComponentType,
  type EventType,
} from '../src/domain/catalogue.js';
import type { ComponentState } from '../src/domain/component-state.js';
import { decide, type ContractView, type DomainEvent } from '../src/domain/decide.js';
import { formatInstant, type Micros } from '../src/domain/timestamp.js';
import type { OutcomeCode } from '../src/schemas/outcome.js';
import type { BenchMessage } from './baselines/kafkajs.js';

// A deterministic, realistic workload: mostly accepted starts and ends, every
// rejection code, 1% invalid input, keyed by contract_number. Each event is
// built to provoke a chosen outcome, then decided with the real rules
// (src/domain/decide.ts) in stream order, so the expected outcome of every
// message is known and a run can be checked against it.

export interface BenchContract {
  contractNumber: string;
  components: ComponentType[];
}

export interface Dataset {
  contracts: BenchContract[];
  messages: BenchMessage[];
  /** Expected outcome code of every message, in order. */
  expected: OutcomeCode[];
}

type Target = 'ACCEPTED_START' | 'ACCEPTED_END' | Exclude<OutcomeCode, 'ACCEPTED'>;

/** Share of each target among messages; accepted starts and ends dominate, every other code appears. */
const MIX: readonly [Target, number][] = [
  ['ACCEPTED_START', 0.36],
  ['ACCEPTED_END', 0.45],
  ['CONTRACT_NOT_FOUND', 0.02],
  ['COMPONENT_NOT_CONFIGURED', 0.02],
  ['RESTART_AFTER_END', 0.02],
  ['STALE_START', 0.02],
  ['START_AFTER_END_DATE', 0.02],
  ['END_WITHOUT_START', 0.02],
  ['END_BEFORE_START', 0.02],
  ['STALE_END', 0.02],
  ['INVALID_JSON', 0.005],
  ['VALIDATION_ERROR', 0.005],
];

const DAY_MS = 86_400_000;
const FIRST_DATE = Date.UTC(2024, 0, 1);
const FIRST_INSTANT: Micros = BigInt(Date.UTC(2025, 0, 1)) * 1000n;

interface SimContract extends ContractView {
  components: ComponentType[];
  states: Partial<Record<ComponentType, ComponentState>>;
}

export function generateDataset({
  contracts: contractCount,
  events: eventCount,
  seed = 42,
}: {
  contracts: number;
  events: number;
  seed?: number;
}): Dataset {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const contracts = Array.from({ length: contractCount }, (_, i) => newContract(i, random));
  const partial = contracts.filter((c) => c.components.length < COMPONENT_TYPES.length);
  const unknown = Array.from({ length: 250 }, (_, i) => `X${String(i + 1).padStart(6, '0')}`);
  const messages: BenchMessage[] = [];
  const expected: OutcomeCode[] = [];
  let now = FIRST_INSTANT;

  for (let i = 0; i < eventCount; i++) {
    now += 1_000_000n + BigInt(Math.floor(random() * 1_000_000)); // about one event per second of upstream time, microsecond digits
    const target = drawTarget(random());
    if (target === 'INVALID_JSON' || target === 'VALIDATION_ERROR') {
      messages.push(invalidMessage(target, pick(contracts).contractNumber, i));
      expected.push(target);
      continue;
    }
    let event: DomainEvent | undefined;
    let contract: SimContract | undefined;
    if (target === 'CONTRACT_NOT_FOUND') {
      event = {
        type: pick(EVENT_TYPES),
        contractNumber: pick(unknown),
        date: dateText(Math.floor(random() * 365)),
        createdAt: now,
      };
    } else {
      // A target may be impossible on a contract's current state: try a few, then fall back to an accepted event.
      for (let attempt = 0; attempt < 6 && !event; attempt++) {
        contract = target === 'COMPONENT_NOT_CONFIGURED' && partial.length ? pick(partial) : pick(contracts);
        event = buildEvent(target, contract, now, random);
      }
      event ??=
        buildEvent('ACCEPTED_END', contract!, now, random) ?? buildEvent('ACCEPTED_START', contract!, now, random)!;
    }
    const decision = decide(contract, event);
    if (contract && decision.nextState) contract.states[decision.component] = decision.nextState;
    expected.push(decision.code);
    messages.push({ key: event.contractNumber, value: eventJson(event, i, random) });
  }
  return {
    contracts: contracts.map(({ contractNumber, components }) => ({ contractNumber, components })),
    messages,
    expected,
  };
}

function newContract(index: number, random: () => number): SimContract {
  // 70% have every component; the rest a random non-empty subset, so COMPONENT_NOT_CONFIGURED can happen.
  const components = random() < 0.7 ? [...COMPONENT_TYPES] : COMPONENT_TYPES.filter(() => random() < 0.5);
  return {
    contractNumber: `C${String(index + 1).padStart(6, '0')}`,
    components: components.length ? components : ['energy_supply'],
    states: {},
  };
}

/** An event that provokes `target` on `contract`, or undefined when its state cannot. */
function buildEvent(target: Target, contract: SimContract, now: Micros, random: () => number): DomainEvent | undefined {
  const contractNumber = contract.contractNumber;
  const days = (from: number, span: number) => from + Math.floor(random() * span);
  const configured = (filter: (state: ComponentState) => boolean) => {
    const candidates = contract.components.filter((c) => filter(contract.states[c] ?? EMPTY));
    return candidates.length ? candidates[Math.floor(random() * candidates.length)] : undefined;
  };
  const event = (component: ComponentType, action: 'start' | 'end', day: number, createdAt: Micros): DomainEvent => ({
    type: eventType(component, action),
    contractNumber,
    date: dateText(day),
    createdAt,
  });
  const stateOf = (c: ComponentType) => contract.states[c] ?? EMPTY;
  const dayOf = (date: string | null) => (date === null ? 0 : Math.round((Date.parse(date) - FIRST_DATE) / DAY_MS));
  const hasStart = (s: ComponentState) => s.startDate !== null;
  const hasEnd = (s: ComponentState) => s.endDate !== null;

  switch (target) {
    case 'ACCEPTED_START': {
      const c = configured((s) => !hasEnd(s));
      return c && event(c, 'start', days(0, 365), now);
    }
    case 'ACCEPTED_END': {
      const c = configured(hasStart);
      return c && event(c, 'end', days(dayOf(stateOf(c).startDate), 400), now);
    }
    case 'COMPONENT_NOT_CONFIGURED': {
      const missing = COMPONENT_TYPES.filter((c) => !contract.components.includes(c));
      return missing.length
        ? event(missing[Math.floor(random() * missing.length)]!, random() < 0.5 ? 'start' : 'end', days(0, 365), now)
        : undefined;
    }
    case 'RESTART_AFTER_END': {
      const c = configured(hasEnd);
      return c && event(c, 'start', days(0, 365), now);
    }
    case 'STALE_START': {
      const c = configured(hasStart);
      return c && event(c, 'start', days(0, 365), stateOf(c).startEventCreatedAt! - 1_000_000n);
    }
    case 'START_AFTER_END_DATE': {
      // Created between the recorded start and end, dated after the end.
      const c = configured((s) => hasEnd(s) && s.endEventCreatedAt! - s.startEventCreatedAt! > 1n);
      return c && event(c, 'start', dayOf(stateOf(c).endDate) + days(1, 30), stateOf(c).startEventCreatedAt! + 1n);
    }
    case 'END_WITHOUT_START': {
      const c = configured((s) => !hasStart(s));
      return c && event(c, 'end', days(0, 365), now);
    }
    case 'END_BEFORE_START': {
      const c = configured(hasStart);
      return c && event(c, 'end', dayOf(stateOf(c).startDate) - days(1, 30), now);
    }
    case 'STALE_END': {
      // Same created_at as the recorded end (equal counts as stale), another date so it is not a duplicate.
      const c = configured(hasEnd);
      return c && event(c, 'end', dayOf(stateOf(c).endDate) + 1, stateOf(c).endEventCreatedAt!);
    }
    default:
      return undefined;
  }
}

const EMPTY: ComponentState = { startDate: null, startEventCreatedAt: null, endDate: null, endEventCreatedAt: null };

function eventType(component: ComponentType, action: 'start' | 'end'): EventType {
  return EVENT_TYPES.find(
    (type) => EVENT_CATALOGUE[type].component === component && EVENT_CATALOGUE[type].action === action,
  )!;
}

/** Half the producers send an event_id; the others rely on the derived one. */
function eventJson(event: DomainEvent, index: number, random: () => number): string {
  return JSON.stringify({
    type: event.type,
    contract_number: event.contractNumber,
    date: event.date,
    created_at: formatInstant(event.createdAt),
    ...(random() < 0.5 ? { event_id: `bench-${index}` } : {}),
  });
}

function invalidMessage(code: 'INVALID_JSON' | 'VALIDATION_ERROR', key: string, index: number): BenchMessage {
  const value =
    code === 'INVALID_JSON'
      ? `{"type":"supply_energy_start","contract_number":"${key}","date":"2024-0`
      : JSON.stringify({
          type: index % 2 ? 'solar_panel_start' : 'supply_energy_start',
          contract_number: key,
          date: '2024-02-30',
          created_at: '2025-01-01T00:00:00Z',
        });
  return { key, value };
}

function drawTarget(roll: number): Target {
  let cumulative = 0;
  for (const [target, share] of MIX) {
    cumulative += share;
    if (roll < cumulative) return target;
  }
  return 'ACCEPTED_END';
}

export function dateText(day: number): string {
  return new Date(FIRST_DATE + day * DAY_MS).toISOString().slice(0, 10);
}

/** Small seeded PRNG: the same seed gives the same workload on every machine. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many messages expect each code. */
export function codeHistogram(codes: readonly string[]): Record<string, number> {
  const histogram: Record<string, number> = {};
  for (const code of codes) histogram[code] = (histogram[code] ?? 0) + 1;
  return histogram;
}

/** The codes whose counts differ between what a run answered and what the rules' fold expects. */
export function mismatchedCodes(
  got: Record<string, number>,
  want: Record<string, number>,
): Record<string, { expected: number; got: number }> {
  const mismatches: Record<string, { expected: number; got: number }> = {};
  for (const code of new Set([...Object.keys(got), ...Object.keys(want)])) {
    if (got[code] !== want[code]) mismatches[code] = { expected: want[code] ?? 0, got: got[code] ?? 0 };
  }
  return mismatches;
}
