import { describe, expect, it } from 'vitest';
import type { EventType } from '../../../src/domain/catalogue.js';
import { parseInstant } from '../../../src/domain/timestamp.js';
import { recomputeComponent, type AuditedEvent } from '../../../src/replay/audit-fold.js';
import { stateText } from '../../../src/replay/state-difference.js';

// Recomputing a component from its audited events, in either order. The
// expected states are worked out by hand from the rules of the spec.

const contract = { contractNumber: 'K', components: ['energy_supply', 'battery_optimization'] as const };
const audited = (eventId: string, type: EventType, date: string, createdAt: string): AuditedEvent => ({
  eventId,
  event: { type, contractNumber: 'K', date, createdAt: parseInstant(createdAt)! },
});

// In audit order: an end first, then two starts created at the same microsecond.
const events = [
  audited('e2', 'supply_energy_end', '2024-12-31', '2024-11-20T10:05:00Z'),
  audited('e3', 'supply_energy_start', '2024-12-01', '2024-11-20T10:00:00Z'),
  audited('a-tie', 'supply_energy_start', '2024-11-15', '2024-11-20T10:00:00Z'),
];

describe('recomputeComponent', () => {
  it('folds in arrival order as the audit lists the events', () => {
    // e2: END_WITHOUT_START; e3: accepted; a-tie: STALE_START (equal created_at).
    const state = recomputeComponent(contract, 'energy_supply', events, 'arrival');
    expect(stateText(state)).toEqual({
      start_date: '2024-12-01',
      start_event_created_at: '2024-11-20T10:00:00.000000Z',
      end_date: null,
      end_event_created_at: null,
    });
  });

  it('folds in created_at order, ties by event_id', () => {
    // a-tie (before e3: "a" < "e"): accepted; e3: STALE_START; e2: accepted.
    const state = recomputeComponent(contract, 'energy_supply', events, 'created_at');
    expect(stateText(state)).toEqual({
      start_date: '2024-11-15',
      start_event_created_at: '2024-11-20T10:00:00.000000Z',
      end_date: '2024-12-31',
      end_event_created_at: '2024-11-20T10:05:00.000000Z',
    });
  });

  it('gives the empty state to a component without events, or one not configured', () => {
    const empty = { start_date: null, start_event_created_at: null, end_date: null, end_event_created_at: null };
    expect(stateText(recomputeComponent(contract, 'battery_optimization', [], 'created_at'))).toEqual(empty);
    const heatpump = [audited('h', 'heatpump_optimization_start', '2024-12-01', '2024-11-20T10:00:00Z')];
    expect(stateText(recomputeComponent(contract, 'heatpump_optimization', heatpump, 'created_at'))).toEqual(empty);
    expect(stateText(recomputeComponent(contract, 'heatpump_optimization', heatpump, 'arrival'))).toEqual(empty);
  });
});
