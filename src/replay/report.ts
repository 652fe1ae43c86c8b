import type { CheckResult } from './consistency-check.js';
import type { RepairResult } from './repair.js';
import type { RepublishResult } from './republish.js';
import type { Difference } from './state-difference.js';

// What `npm run replay` prints: one line per difference, then a summary line.

const show = (value: string | null) => value ?? 'null';
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `contract "1234" energy_supply: end_date stored 2025-01-01, expected 2024-12-31` */
export function differenceLine({ contractNumber, component, fields }: Difference): string {
  const parts = fields.map(
    ({ field, stored, expected }) => `${field} stored ${show(stored)}, expected ${show(expected)}`,
  );
  return `contract ${JSON.stringify(contractNumber)} ${component}: ${parts.join('; ')}`;
}

/** `repaired contract "1234" energy_supply: end_date 2025-01-01 -> 2024-12-31` */
export function repairLine({ contractNumber, component, fields }: Difference): string {
  const parts = fields.map(({ field, stored, expected }) => `${field} ${show(stored)} -> ${show(expected)}`);
  return `repaired contract ${JSON.stringify(contractNumber)} ${component}: ${parts.join('; ')}`;
}

export function checkSummary({ eventOrder, contracts, components, differences }: CheckResult): string {
  const checked = `checked ${plural(contracts, 'contract')}, ${plural(components, 'component')} against the audit (EVENT_ORDER=${eventOrder})`;
  if (differences.length === 0) return `${checked}: no differences`;
  const differing = new Set(differences.map((difference) => difference.contractId)).size;
  return `${checked}: ${plural(differences.length, 'difference')} in ${plural(differing, 'contract')}`;
}

export function repairSummary({ check, repaired, unchanged }: RepairResult): string {
  if (check.differences.length === 0) return `${checkSummary(check)}; nothing to repair`;
  const contracts = new Set(repaired.map((difference) => difference.contractId)).size;
  const untouched =
    unchanged === 0 ? '' : `; ${plural(unchanged, 'contract')} no longer differed (or were deleted) under the lock`;
  return `${checkSummary(check)}; repaired ${plural(repaired.length, 'component')} of ${plural(contracts, 'contract')}${untouched}`;
}

export function republishSummary({ topic, published, compacted }: RepublishResult, from: string, to: string): string {
  const compact =
    compacted.length === 0
      ? ''
      : ` (${compacted.length} in compact form, too large for the topic: ${compacted.join(', ')})`;
  return `republished ${plural(published, 'outcome')} decided from ${from} to ${to} (exclusive) to ${topic}, marked replay: true${compact}`;
}
