import { COMPONENT_TYPES, EVENT_TYPES } from '../../../src/domain/catalogue.js';
import type { OutboundMessage } from '../../../src/kafka/port.js';

export interface Workload {
  /** contract_number → configured components */
  contracts: Map<string, readonly string[]>;
  messages: OutboundMessage[];
}

/** A small deterministic generator, so a failing run can be replayed from its seed. */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed % 2 ** 31;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((state / 2 ** 31) * n); // high bits: an LCG's low bits repeat quickly
  };
}

/**
 * Realistic traffic: time mostly moves forward with jitter (so stale and
 * reordered events happen), every event type, a few unknown contracts, half of
 * the events with a producer event_id, and about 1% sent twice.
 */
export function generateWorkload(options: {
  contracts: number;
  events: number;
  seed: number;
  prefix: string;
}): Workload {
  const next = seededRandom(options.seed);
  const contracts = new Map<string, readonly string[]>();
  for (let i = 0; i < options.contracts; i += 1) {
    contracts.set(`${options.prefix}-${i}`, i % 10 === 0 ? COMPONENT_TYPES.slice(0, 2) : COMPONENT_TYPES);
  }
  const messages: OutboundMessage[] = [];
  for (let i = 0; i < options.events; i += 1) {
    const contract = `${options.prefix}-${next(options.contracts + 5)}`; // a few do not exist
    const seconds = i * 2 + next(300);
    const createdAt = `${new Date(Date.UTC(2024, 10, 1) + seconds * 1000).toISOString().slice(0, 19)}.${String(next(1_000_000)).padStart(6, '0')}Z`;
    const event = {
      type: EVENT_TYPES[next(EVENT_TYPES.length)]!,
      contract_number: contract,
      date: `2024-${String(1 + next(12)).padStart(2, '0')}-${String(1 + next(28)).padStart(2, '0')}`,
      created_at: createdAt,
      ...(i % 2 === 0 ? { event_id: `${options.prefix}-e${i}` } : {}),
    };
    const message = { key: contract, value: JSON.stringify(event), headers: {} };
    messages.push(message);
    if (next(100) === 0) messages.push(message);
  }
  return { contracts, messages };
}
