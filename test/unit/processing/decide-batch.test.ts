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

describe('events seen before', () => {
  const answers = (outcomes: { message: { event_id: string; code: string; duplicate: boolean } }[]) =>
    outcomes.map(({ message: m }) => [m.event_id, m.code, m.duplicate]);

  it('answers a new event with duplicate: false and a copy of it later in the same batch with duplicate: true', async () => {
    const { store, decide } = setUp('arrival');
    expect(answers(await decide([A(), A()]))).toEqual([
      ['A', 'ACCEPTED', false],
      ['A', 'ACCEPTED', true],
    ]);
    expect(store.committed().audit).toHaveLength(1);
  });

  it('answers a redelivered message with duplicate: false and a re-sent copy with duplicate: true', async () => {
    const { decide } = setUp('arrival');
    const first = A();
    const [original] = await decide([first]);
    const [redelivered, copy] = await decide([first, A()]);
    expect(redelivered).toEqual(original);
    expect(copy!.message).toMatchObject({ event_id: 'A', code: 'ACCEPTED', duplicate: true });
    expect(copy!.message.processed_at).toBe(original!.message.processed_at);
  });

  it('answers a copy in the batch that revises its event with the revised decision', async () => {
    const { decide } = setUp('created_at');
    await decide([C()]);
    await decide([A()]);
    expect(summary(await decide([B(), C()]))).toEqual([
      ['B', 'ACCEPTED', 0, null],
      ['C', 'RESTART_AFTER_END', 1, null],
      ['C', 'RESTART_AFTER_END', 1, { revision: 0, status: 'accepted', code: 'ACCEPTED', caused_by: 'B' }],
    ]);
  });

  it('does not announce again the revisions of an event that is only sent again', async () => {
    const { decide } = setUp('created_at');
    await decide([C()]);
    await decide([A()]);
    await decide([B()]);
    const again = await decide([B()]);
    expect(answers(again)).toEqual([['B', 'ACCEPTED', true]]);
  });

  // Each look-up is a statement of the Postgres store: a batch with nothing delivered again needs none.
  it('looks up the revisions to announce again for the messages delivered again, and for no other', async () => {
    const { store } = setUp('created_at');
    const asked: string[] = [];
    const watched = decoratedStore(store, (tx) => ({
      async revisionsCausedBy(eventIds) {
        asked.push(...eventIds);
        return tx.revisionsCausedBy(eventIds);
      },
    }));
    const decideWatched = createBatchDecider({
      store: watched,
      clock: CLOCK,
      auditEnabled: true,
      eventOrder: 'created_at',
    });
    await decideWatched([C()]);
    const chunk = [A(), B()];
    await decideWatched(chunk);
    await decideWatched([chunk[0]!, C()]);
    expect(asked).toEqual(['A']);
  });

  // Like the bench's recorded-writes store, which decides in arrival order and has no revision log.
  it('in arrival order asks the store for no revision work, so a store without a revision log serves it', async () => {
    const { store } = setUp('arrival');
    const refuse = async (): Promise<never> => {
      throw new Error('no revision log');
    };
    const withoutRevisions = decoratedStore(store, () => ({ revisionsCausedBy: refuse, reviseDecisions: refuse }));
    const decide = createBatchDecider({ store: withoutRevisions, clock: CLOCK, auditEnabled: true });
    const first = A();
    await decide([first]);
    expect(answers(await decide([first, B()]))).toEqual([
      ['A', 'ACCEPTED', false],
      ['B', 'ACCEPTED', false],
    ]);
  });

  it('answers a decision recorded before fingerprints were kept as a duplicate, not a conflict', async () => {
    const { store, decide } = setUp('arrival');
    await decide([A()]);
    const { ledger } = store.committed();
    ledger.set('A', { ...ledger.get('A')!, fingerprint: null });
    expect(answers(await decide([A()]))).toEqual([['A', 'ACCEPTED', true]]);
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

  it('keeps only the conflict out of the outbox, not the other outcomes of its batch', async () => {
    const { store, decide } = setUp('arrival');
    await decide([A()]);
    const other = message('A', 'supply_energy_start', '2024-01-02', '2024-01-01T10:01:00Z');
    await decide([other, B()], { outbox: true });
    expect(store.committed().outbox.map(({ message: m }) => [m.event_id, m.code])).toEqual([['B', 'ACCEPTED']]);
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
    const attempt = decide([A()]);
    await expect(attempt).rejects.toBeInstanceOf(ConcurrentDecisionError);
    await expect(attempt).rejects.toMatchObject({
      name: 'ConcurrentDecisionError',
      message: 'Expected to record 1 new decisions but recorded 0: another writer got there first.',
    });
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
