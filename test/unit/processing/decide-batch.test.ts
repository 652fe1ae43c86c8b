import { describe, expect, it } from 'vitest';
import { withLostRacesRetried } from '../../../src/kafka/backoff.js';
import { ConcurrentDecisionError, createBatchDecider } from '../../../src/processing/decide-batch.js';
import { decodeMessage } from '../../../src/processing/decode-message.js';
import type { DecodedMessage } from '../../../src/processing/decoded-message.js';
import { decoratedStore } from '../../support/decorated-store.js';
import { createMemoryDecisionStore } from '../../support/memory-decision-store.js';

// The use case against an in-memory store: the example of an arrival
// order that changes the timeline, decided in EVENT_ORDER=created_at mode.
// A = start 01-01 created 10:01, B = end 01-05 created 10:02, C = start 01-03 created 10:03.

const CLOCK = () => 1_800_000_000_000_000n;
let offset = 0;
const message = (eventId: string, type: string, date: string, createdAt: string): DecodedMessage =>
  decodeMessage({
    key: Buffer.from('K'),
    value: Buffer.from(JSON.stringify({ event_id: eventId, type, contract_number: 'K', date, created_at: createdAt })),
    source: { transport: 'kafka', topic: 'events', partition: 0, offset: String(offset++) },
  });
const A = () => message('A', 'supply_energy_start', '2024-01-01', '2024-01-01T10:01:00Z');
const B = () => message('B', 'supply_energy_end', '2024-01-05', '2024-01-01T10:02:00Z');
const C = () => message('C', 'supply_energy_start', '2024-01-03', '2024-01-01T10:03:00Z');

function setUp(eventOrder: 'arrival' | 'created_at') {
  const store = createMemoryDecisionStore([{ contractNumber: 'K', components: ['energy_supply'] }]);
  const decide = createBatchDecider({ store, clock: CLOCK, auditEnabled: true, eventOrder });
  const timeline = () => {
    const state = store.contract('K')!.states.energy_supply;
    return { start: state?.startDate ?? null, end: state?.endDate ?? null };
  };
  return { store, decide, timeline };
}

const summary = (outcomes: { message: { event_id: string; code: string; revision: number; revises: unknown } }[]) =>
  outcomes.map(({ message: m }) => [m.event_id, m.code, m.revision, m.revises]);

describe('deciding in created_at order', () => {
  it('revises C when B arrives late, and ends where in-order arrival ends', async () => {
    const { decide, timeline } = setUp('created_at');
    expect(summary(await decide([C()]))).toEqual([['C', 'ACCEPTED', 0, null]]);
    expect(summary(await decide([A()]))).toEqual([['A', 'ACCEPTED', 0, null]]);
    expect(summary(await decide([B()]))).toEqual([
      ['B', 'ACCEPTED', 0, null],
      ['C', 'RESTART_AFTER_END', 1, { revision: 0, status: 'accepted', code: 'ACCEPTED', caused_by: 'B' }],
    ]);
    expect(timeline()).toEqual({ start: '2024-01-01', end: '2024-01-05' });
  });

  it('decides a whole late batch in one fold, with no revision of its own events', async () => {
    const { decide, timeline } = setUp('created_at');
    expect(summary(await decide([C(), A(), B()]))).toEqual([
      ['C', 'RESTART_AFTER_END', 0, null],
      ['A', 'ACCEPTED', 0, null],
      ['B', 'ACCEPTED', 0, null],
    ]);
    expect(timeline()).toEqual({ start: '2024-01-01', end: '2024-01-05' });
  });

  it('answers a re-sent copy of a revised event with its current decision', async () => {
    const { decide } = setUp('created_at');
    await decide([C()]);
    await decide([A(), B()]);
    const [again] = await decide([C()]);
    expect(again!.message).toMatchObject({
      event_id: 'C',
      code: 'RESTART_AFTER_END',
      revision: 1,
      revises: null,
      duplicate: true,
    });
  });

  it('announces the revisions of a chunk again when the chunk is delivered again', async () => {
    const { decide } = setUp('created_at');
    await decide([C()]);
    const chunk = [A(), B()];
    const first = await decide(chunk);
    // The outcomes never got out (a crash after the commit): the same messages come again.
    const again = await decide(chunk);
    expect(summary(again)).toEqual(summary(first));
    expect(again.map((o) => o.message.duplicate)).toEqual([false, false, false]);
  });

  it('in arrival order keeps the arrival-dependent timeline and revises nothing', async () => {
    const { decide, timeline } = setUp('arrival');
    const outcomes = [...(await decide([C()])), ...(await decide([A()])), ...(await decide([B()]))];
    expect(summary(outcomes)).toEqual([
      ['C', 'ACCEPTED', 0, null],
      ['A', 'STALE_START', 0, null],
      ['B', 'END_BEFORE_START', 0, null],
    ]);
    expect(timeline()).toEqual({ start: '2024-01-03', end: null });
  });
});

describe('reused event ids', () => {
  it('answers other content under a decided event_id with EVENT_ID_CONFLICT and keeps it out of the outbox', async () => {
    const { store, decide, timeline } = setUp('arrival');
    await decide([A()]);
    const other = message('A', 'supply_energy_start', '2024-01-02', '2024-01-01T10:01:00Z');
    const [conflict] = await decide([other], { outbox: true });
    expect(conflict!.message).toMatchObject({
      event_id: 'A',
      status: 'error',
      code: 'EVENT_ID_CONFLICT',
      duplicate: false,
    });
    expect(timeline()).toEqual({ start: '2024-01-01', end: null });
    expect(store.committed().outbox).toEqual([]);
    expect(store.committed().audit).toHaveLength(1);
  });
});

describe('a race lost to another writer', () => {
  /** A decider whose first transaction finds, when it writes, that another writer has just decided A from another message. */
  function racedDecider() {
    const { store } = setUp('arrival');
    const otherWriter = createBatchDecider({ store, clock: CLOCK, auditEnabled: true });
    let attempts = 0;
    const racing = decoratedStore(store, (tx) => ({
      async recordDecisions(entries, audit) {
        attempts += 1;
        if (attempts > 1) return tx.recordDecisions(entries, audit);
        await otherWriter([A()]);
        return 0; // the other writer's row was there when ours was inserted
      },
    }));
    return {
      store,
      decide: createBatchDecider({ store: racing, clock: CLOCK, auditEnabled: true }),
      attempts: () => attempts,
    };
  }

  it("fails the attempt with a ConcurrentDecisionError, retried by the caller's policy, not inline", async () => {
    const { decide, attempts } = racedDecider();
    await expect(decide([A()])).rejects.toBeInstanceOf(ConcurrentDecisionError);
    expect(attempts()).toBe(1);
  });

  it("is answered on the policy's next attempt with the other writer's decision, recorded once", async () => {
    const { store, decide, attempts } = racedDecider();
    const [outcome] = await withLostRacesRetried(decide)([A()]);
    expect(outcome!.message).toMatchObject({ event_id: 'A', code: 'ACCEPTED', duplicate: true });
    expect(attempts()).toBe(2);
    expect(store.committed().audit.map((entry) => entry.eventId)).toEqual(['A']);
  });
});
