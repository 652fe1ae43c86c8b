import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider, type BatchDecider } from '../../src/processing/decide-batch.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import type { OutcomeMessage } from '../../src/schemas/outcome.js';
import { createContractRepository } from '../../src/store/contracts.js';
import { decoratedStore } from '../support/decorated-store.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { ReferenceModel, type ReferenceEvent } from '../support/fault/reference-model.js';

// EVENT_ORDER=created_at: what a late event reads is bounded by what follows
// it in created_at order, a page at a time, never by the history before it.
// The history: 200 starts one second apart (each accepted, replacing the one
// before). A late start among them changes nothing once the next start
// replaces it; a late end among them turns every later start into
// RESTART_AFTER_END, to the end of the history.

const CONTRACT = 'LONG-1';
const PAGE = 10;

interface SentEvent extends ReferenceEvent {
  id: string;
}

let db: TestDatabase;
let prisma: PrismaClient;
let decideBatch: BatchDecider;
/** What every componentHistory call of the current test returned, in events. */
let pages: number[] = [];
let offset = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, 2);
  await createContractRepository(prisma).create({ contractNumber: CONTRACT, components: ['energy_supply'] });
  const store = createDecisionStore(prisma);
  const counting = decoratedStore(store, (tx) => ({
    componentHistory: async (positions, limit) => {
      const history = await tx.componentHistory(positions, limit);
      pages.push([...history.values()].reduce((n, events) => n + events.length, 0));
      return history;
    },
  }));
  decideBatch = createBatchDecider({
    store: counting,
    clock: systemClock,
    auditEnabled: true,
    eventOrder: 'created_at',
    historyPage: PAGE,
  });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const instant = (second: number, micros = 0) =>
  new Date(Date.UTC(2024, 10, 20, 10, 0, second))
    .toISOString()
    .replace('.000Z', `.${String(micros).padStart(6, '0')}Z`);
const sent: SentEvent[] = [];

async function send(events: SentEvent[]): Promise<OutcomeMessage[]> {
  sent.push(...events);
  const messages = events.map((e) => {
    const value = JSON.stringify({
      event_id: e.id,
      type: e.type,
      contract_number: CONTRACT,
      date: e.date,
      created_at: e.createdAt,
    });
    return decodeMessage({
      key: Buffer.from(CONTRACT),
      value: Buffer.from(value),
      source: { transport: 'kafka', topic: 'events', partition: 0, offset: String(offset++) },
    });
  });
  return (await decideBatch(messages)).map((outcome) => outcome.message);
}

/** Every event's decision in created_at order, from the reference model. */
function expectedCodes(): Map<string, string> {
  const model = new ReferenceModel(new Map([[CONTRACT, ['energy_supply']]]));
  const ordered = [...sent].sort((a, b) =>
    a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1,
  );
  return new Map(ordered.map((e) => [e.id, model.apply(e)]));
}

describe('a late event against a long history', () => {
  it('decides the history in order without reading any of it', async () => {
    const starts = Array.from({ length: 200 }, (_, n) => ({
      id: `s-${String(n).padStart(3, '0')}`,
      type: 'supply_energy_start',
      contract: CONTRACT,
      date: '2024-12-01',
      createdAt: instant(n),
    }));
    for (let n = 0; n < starts.length; n += 50) await send(starts.slice(n, n + 50));
    // The first batch reads the component's (empty) history once: it was never folded.
    expect(pages).toEqual([0]);
  });

  it('stops reading once the fold agrees with the recorded decisions again', async () => {
    pages = [];
    // Between s-050 and s-051: accepted, then replaced by s-051 as before.
    const outcomes = await send([
      {
        id: 'late-start',
        type: 'supply_energy_start',
        contract: CONTRACT,
        date: '2024-12-02',
        createdAt: instant(50, 500),
      },
    ]);
    expect(outcomes.map((o) => [o.event_id, o.code, o.revision])).toEqual([['late-start', 'ACCEPTED', 0]]);
    expect(expectedCodes().get('late-start')).toBe('ACCEPTED');
    // No more than a page of the 149 events that follow it.
    expect(pages.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(PAGE);
  });

  it('reads everything that follows it and nothing before, a page at a time, and revises what changes', async () => {
    pages = [];
    // Between s-100 and s-101: every later start now comes after an end.
    const outcomes = await send([
      {
        id: 'late-end',
        type: 'supply_energy_end',
        contract: CONTRACT,
        date: '2024-12-20',
        createdAt: instant(100, 500),
      },
    ]);
    const expected = expectedCodes();
    const following = [...expected.keys()].slice([...expected.keys()].indexOf('late-end') + 1);
    expect(following).toHaveLength(99);
    expect(outcomes.map((o) => [o.event_id, o.code])).toEqual([
      ['late-end', expected.get('late-end')],
      ...following.map((id) => [id, expected.get(id)]),
    ]);
    expect(outcomes.slice(1).every((o) => o.code === 'RESTART_AFTER_END' && o.revises?.caused_by === 'late-end')).toBe(
      true,
    );
    expect(pages.reduce((a, b) => a + b, 0)).toBe(following.length);
    expect(Math.max(...pages)).toBeLessThanOrEqual(PAGE);
  });
});
