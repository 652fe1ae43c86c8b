import { describe, expect, it } from 'vitest';
import type { EventType } from '../../../src/domain/catalogue.js';
import { EMPTY_COMPONENT_STATE } from '../../../src/domain/component-state.js';
import type { EventKey } from '../../../src/domain/event-order.js';
import type { ValidMessage } from '../../../src/processing/decoded-message.js';
import type { PastEvent } from '../../../src/processing/ports.js';
import { refold, type RefoldInput } from '../../../src/processing/refold.js';
import { at, contract, event, state } from '../domain/fixtures.js';

// One component (energy_supply) of a contract; the expected decisions follow the rules of the spec by hand.

const source = { transport: 'http', request_id: 'r' } as const;

function past(eventId: string, type: EventType, date: string, createdAt: string, code: string): PastEvent {
  return {
    eventId,
    event: event(type, date, at(createdAt)),
    source,
    decision: {
      status: code === 'ACCEPTED' ? 'accepted' : 'rejected',
      code: code as PastEvent['decision']['code'],
      message: code,
      error: null,
      source,
      processedAt: '2024-12-01T00:00:00.000000Z',
      fingerprint: null,
      revision: 0,
    },
  };
}

function fresh(eventId: string, type: EventType, date: string, createdAt: string): ValidMessage {
  return { kind: 'valid', eventId, event: event(type, date, at(createdAt)), source, fingerprint: eventId };
}

const started = past('p1', 'supply_energy_start', '2024-01-01', '2024-01-01T10:00:00Z', 'ACCEPTED');
const ended = past('p2', 'supply_energy_end', '2024-06-30', '2024-01-01T12:00:00Z', 'ACCEPTED');
const restarted = past('p3', 'supply_energy_start', '2024-07-01', '2024-01-01T13:00:00Z', 'RESTART_AFTER_END');

function input(fields: Partial<RefoldInput> & Pick<RefoldInput, 'fresh' | 'page'>) {
  const reads: [EventKey, number][] = [];
  const later: PastEvent[] = [];
  const refoldInput: RefoldInput = {
    contract: contract({}, ['energy_supply']),
    component: 'energy_supply',
    from: EMPTY_COMPONENT_STATE,
    pageLimit: fields.page.length,
    pageSize: 10,
    readAfter: async (key, limit) => {
      reads.push([key, limit]);
      return later.splice(0, limit);
    },
    ...fields,
  };
  return { refoldInput, reads, later };
}

describe('refold', () => {
  it('stops at a full page once the new fold agrees with the recorded decisions, rejected ones included', async () => {
    // A late end (11:00) between the start (10:00) and the end (12:00): accepted, and then the later end is
    // accepted over it, leaving the state the recorded decisions left; the restart stays refused.
    const stored = {
      state: state({ startDate: '2024-01-01' }),
      folded: { createdAt: at('2024-12-01T00:00:00Z'), eventId: 'p9' },
    };
    const { refoldInput, reads } = input({
      fresh: [fresh('f1', 'supply_energy_end', '2024-03-31', '2024-01-01T11:00:00Z')],
      page: [started, ended, restarted],
      stored,
    });
    const result = await refold(refoldInput);
    expect(result.fresh.map(({ message, decision }) => [message.eventId, decision.code])).toEqual([['f1', 'ACCEPTED']]);
    expect(result.revised).toEqual([]);
    expect(result.state).toBe(stored.state);
    expect(result.folded).toBe(stored.folded);
    expect(reads).toEqual([]);
  });

  it('does not stop where the folds agree while a new event is still to come', async () => {
    const stored = { state: state({}), folded: { createdAt: at('2024-12-01T00:00:00Z'), eventId: 'p9' } };
    const { refoldInput, reads } = input({
      fresh: [
        fresh('f1', 'supply_energy_end', '2024-03-31', '2024-01-01T11:00:00Z'),
        fresh('f2', 'supply_energy_start', '2024-08-01', '2024-01-01T14:00:00Z'),
      ],
      page: [started, ended, restarted],
      stored,
    });
    const result = await refold(refoldInput);
    expect(result.fresh.map(({ message, decision }) => [message.eventId, decision.code])).toEqual([
      ['f1', 'ACCEPTED'],
      ['f2', 'RESTART_AFTER_END'],
    ]);
    expect(reads).toHaveLength(1);
    expect(result.folded).toEqual({ createdAt: at('2024-01-01T14:00:00Z'), eventId: 'f2' });
  });

  it('reads the next page, twice as large, while the folds differ, and ends at the newest event folded', async () => {
    // A late start (11:00) moves the start to 1 February; nothing agrees again, so it reads on to the end.
    const { refoldInput, reads, later } = input({
      fresh: [fresh('f1', 'supply_energy_start', '2024-02-01', '2024-01-01T11:00:00Z')],
      page: [started, ended],
    });
    later.push(restarted);
    const result = await refold(refoldInput);
    expect(result.fresh.map(({ message, decision }) => [message.eventId, decision.code])).toEqual([['f1', 'ACCEPTED']]);
    expect(result.revised).toEqual([]);
    expect(reads).toEqual([[{ createdAt: at('2024-01-01T12:00:00Z'), eventId: 'p2' }, 4]]);
    expect(result.state).toEqual(
      state({
        startDate: '2024-02-01',
        startEventCreatedAt: at('2024-01-01T11:00:00Z'),
        endDate: '2024-06-30',
        endEventCreatedAt: at('2024-01-01T12:00:00Z'),
      }),
    );
    expect(result.folded).toEqual({ createdAt: at('2024-01-01T13:00:00Z'), eventId: 'p3' });
  });

  it('reads on after a second full page, up to the largest page, until a page is not full', async () => {
    // Pages of 1, then 2 and 2 (pageSize 2): the second page is full, so a third is read, and its event is folded.
    const again = past('p4', 'supply_energy_start', '2024-08-01', '2024-01-01T14:00:00Z', 'RESTART_AFTER_END');
    const { refoldInput, reads, later } = input({
      fresh: [fresh('f1', 'supply_energy_start', '2024-02-01', '2024-01-01T11:00:00Z')],
      page: [started],
      pageSize: 2,
    });
    later.push(ended, restarted, again);
    const result = await refold(refoldInput);
    expect(reads).toEqual([
      [{ createdAt: at('2024-01-01T10:00:00Z'), eventId: 'p1' }, 2],
      [{ createdAt: at('2024-01-01T13:00:00Z'), eventId: 'p3' }, 2],
    ]);
    expect(result.revised).toEqual([]);
    expect(result.folded).toEqual({ createdAt: at('2024-01-01T14:00:00Z'), eventId: 'p4' });
  });

  it('ends at the new event when it is the newest, reading no page after one that is not full', async () => {
    const { refoldInput, reads } = input({
      fresh: [fresh('f1', 'supply_energy_start', '2024-08-01', '2024-01-01T14:00:00Z')],
      page: [started, ended],
      pageLimit: 3,
    });
    const result = await refold(refoldInput);
    expect(result.fresh.map(({ decision }) => decision.code)).toEqual(['RESTART_AFTER_END']);
    expect(reads).toEqual([]);
    expect(result.folded).toEqual({ createdAt: at('2024-01-01T14:00:00Z'), eventId: 'f1' });
  });
});
