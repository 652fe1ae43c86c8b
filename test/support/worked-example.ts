import { readFileSync } from 'node:fs';

/** The worked example of SPEC section 2, as shipped in examples/events.jsonl. */
export const WORKED_EXAMPLE_LINES: string[] = readFileSync(
  new URL('../../examples/events.jsonl', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((line) => line.trim() !== '');

export const WORKED_EXAMPLE_CODES = [
  'ACCEPTED',
  'ACCEPTED',
  'ACCEPTED',
  'ACCEPTED',
  'ACCEPTED',
  'ACCEPTED',
  'END_BEFORE_START',
  'RESTART_AFTER_END',
  'CONTRACT_NOT_FOUND',
  'RESTART_AFTER_END',
  'ACCEPTED',
  'END_BEFORE_START',
];

export const WORKED_EXAMPLE_TIMELINE = {
  contract_number: '1234',
  components: {
    energy_supply: { start: '2024-12-01', end: '2024-12-31' },
    battery_optimization: { start: '2024-03-03', end: '2024-04-15' },
    heatpump_optimization: { start: '2025-03-03', end: '2025-04-04' },
  },
};

export const ALL_COMPONENTS = ['energy_supply', 'battery_optimization', 'heatpump_optimization'] as const;
