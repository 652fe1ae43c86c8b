import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider, type BatchDecider } from '../../src/processing/decide-batch.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import type { DecisionStore } from '../../src/processing/ports.js';
import type { OutcomeMessage } from '../../src/schemas/outcome.js';
import { createContractRepository, type ContractRepository } from '../../src/store/contracts.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';
import { ReferenceModel, type ReferenceEvent } from '../support/fault/reference-model.js';

// EVENT_ORDER=created_at against real Postgres: for random event sets (equal
// created_at to the microsecond, re-sent copies), random arrival orders, random
// chunking and crashes before or after a commit followed by redelivery, the
// final state is the in-order fold of the reference model and the latest
// outcome of every event_id carries its in-order decision. Long-ish histories
// with a few late events, read back in pages of a few events, take the path
// of a late event against a long history: the state before it from the
// accepted decisions, then only what follows it.

const CONTRACT = 'P-1';
const CONFIGURED = ['energy_supply', 'battery_optimization'];
const TYPES = [
  'supply_energy_start',
  'supply_energy_end',
  'battery_optimization_start',
  'battery_optimization_end',
  'heatpump_optimization_start',
];

interface TestEvent extends ReferenceEvent {
  id: string;
}

let db: TestDatabase;
let prisma: PrismaClient;
let contracts: ContractRepository;
let crashNext: 'before-commit' | null = null;
let decideBatch: BatchDecider;
let crashing: DecisionStore;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, 4);
  contracts = createContractRepository(prisma);
  const store = createDecisionStore(prisma);
  // A process that dies after deciding but before its transaction commits.
  crashing = {
    inTransaction: (work) =>
      store.inTransaction(async (tx) => {
        const result = await work(tx);
        if (crashNext === 'before-commit') throw new Error('simulated crash before commit');
        return result;
      }),
  };
  decideBatch = createBatchDecider({
    store: crashing,
    clock: systemClock,
    auditEnabled: true,
    eventOrder: 'created_at',
  });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const eventArbitrary = fc.record({
  type: fc.constantFrom(...TYPES),
  day: fc.integer({ min: 1, max: 6 }),
  // Few distinct instants, so equal created_at to the microsecond is common.
  micros: fc.integer({ min: 0, max: 5 }),
});

const inCreatedAtOrder = (a: TestEvent, b: TestEvent) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1;

type Crash = 'none' | 'before-commit' | 'after-commit';

/** For each message, a chunk size and what happens to the chunk it starts (only the first of each chunk is used). */
const chunkingOf = (length: number) =>
  fc.record({
    chunkSizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: length, maxLength: length }),
    crashes: fc.array(fc.constantFrom<Crash>('none', 'none', 'before-commit', 'after-commit'), {
      minLength: length,
      maxLength: length,
    }),
  });

const scenarioArbitrary = fc.array(eventArbitrary, { minLength: 1, maxLength: 10 }).chain((raw) => {
  const events: TestEvent[] = raw.map((e, index) => ({
    id: `ev-${String(index).padStart(2, '0')}`,
    type: e.type,
    contract: CONTRACT,
    date: `2024-12-0${e.day}`,
    createdAt: `2024-11-20T10:00:00.00000${e.micros}Z`,
  }));
  const copies = fc.array(fc.integer({ min: 0, max: events.length - 1 }), { maxLength: 3 });
  return fc.record({ events: fc.constant(events), resent: copies }).chain(({ events, resent }) => {
    const sent = [...events, ...resent.map((index) => events[index]!)];
    return fc
      .record({
        arrival: fc.shuffledSubarray(sent, { minLength: sent.length, maxLength: sent.length }),
        chunking: chunkingOf(sent.length),
      })
      .map(({ arrival, chunking }) => ({ events, arrival, ...chunking }));
  });
});

/**
 * Long-ish histories (20 to 60 events, dates over a month, instants over 40
 * microseconds so ties still happen) that mostly arrive in created_at order,
 * with a few events held back and sent later: each lands somewhere inside a
 * history already folded, so its re-fold starts from the state before it.
 */
const longHistoryArbitrary = fc
  .array(
    fc.record({
      type: fc.constantFrom(...TYPES),
      day: fc.integer({ min: 1, max: 28 }),
      micros: fc.integer({ min: 0, max: 40 }),
    }),
    { minLength: 20, maxLength: 60 },
  )
  .chain((raw) => {
    const events: TestEvent[] = raw.map((e, index) => ({
      id: `ev-${String(index).padStart(2, '0')}`,
      type: e.type,
      contract: CONTRACT,
      date: `2024-12-${String(e.day).padStart(2, '0')}`,
      createdAt: `2024-11-20T10:00:00.0000${String(e.micros).padStart(2, '0')}Z`,
    }));
    const ordered = [...events].sort(inCreatedAtOrder);
    const held = fc.uniqueArray(fc.integer({ min: 0, max: ordered.length - 1 }), { minLength: 1, maxLength: 6 });
    return fc.record({ held, chunking: chunkingOf(events.length) }).map(({ held, chunking }) => {
      const late = held.map((index) => ordered[index]!);
      return { events, arrival: [...ordered.filter((e) => !late.includes(e)), ...late], ...chunking };
    });
  });

/** What the spec's rules give when every event is decided in created_at order, ties by event_id. */
function inOrderDecisions(events: readonly TestEvent[]): { codes: Map<string, string>; model: ReferenceModel } {
  const model = new ReferenceModel(new Map([[CONTRACT, CONFIGURED]]));
  const ordered = [...events].sort(inCreatedAtOrder);
  return { codes: new Map(ordered.map((event) => [event.id, model.apply(event)])), model };
}

/** Sends the arrival order in chunks, crashing where told, and checks the outcomes and states against the reference model. */
async function checkScenario(
  decideBatch: BatchDecider,
  {
    events,
    arrival,
    chunkSizes,
    crashes,
  }: { events: TestEvent[]; arrival: TestEvent[]; chunkSizes: number[]; crashes: Crash[] },
): Promise<void> {
  await withClient(db.url, (client) =>
    client.query(
      'TRUNCATE contracts, component_states, processed_events, event_audit, event_revisions, outcome_outbox',
    ),
  );
  await contracts.create({ contractNumber: CONTRACT, components: ['energy_supply', 'battery_optimization'] });
  const published: OutcomeMessage[] = [];
  let offset = 0;
  const messages = arrival.map((event) => {
    const value = JSON.stringify({
      event_id: event.id,
      type: event.type,
      contract_number: CONTRACT,
      date: event.date,
      created_at: event.createdAt,
    });
    return {
      key: Buffer.from(CONTRACT),
      value: Buffer.from(value),
      source: { transport: 'kafka' as const, topic: 'events', partition: 0, offset: String(offset++) },
    };
  });
  for (let start = 0, chunk = 0; start < messages.length; chunk += 1) {
    const slice = messages.slice(start, start + chunkSizes[chunk]!).map(decodeMessage);
    const crash = crashes[chunk]!;
    if (crash === 'before-commit') {
      crashNext = 'before-commit';
      await expect(decideBatch(slice)).rejects.toThrow();
      crashNext = null;
    }
    // After a commit whose outcomes never got out, the same messages come again.
    if (crash === 'after-commit') await decideBatch(slice);
    published.push(...(await decideBatch(slice)).map((outcome) => outcome.message));
    start += slice.length;
  }
  const { codes, model } = inOrderDecisions(events);
  const latest = new Map(published.map((message) => [message.event_id, message.code]));
  expect(Object.fromEntries(latest)).toEqual(Object.fromEntries(codes));
  const stored = (await contracts.findWithStates(CONTRACT))!;
  for (const component of CONFIGURED) {
    const expected = model.states.get(`${CONTRACT}/${component}`) ?? {};
    const state = stored.states[component as 'energy_supply'];
    expect({ start: state?.startDate ?? null, end: state?.endDate ?? null }, component).toEqual({
      start: expected.start?.date ?? null,
      end: expected.end?.date ?? null,
    });
  }
}

describe('EVENT_ORDER=created_at', () => {
  it('ends in the in-order fold, and the latest outcome of every event is its in-order decision', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, (scenario) => checkScenario(decideBatch, scenario)),
      { numRuns: 60 },
    );
  }, 120_000);

  it('does so for late events against long-ish histories, re-folded from the state before them a page at a time', async () => {
    // First pages of 1 to 4 events, each next one twice as large up to the page: most re-folds take several.
    await fc.assert(
      fc.asyncProperty(longHistoryArbitrary, fc.integer({ min: 1, max: 128 }), (scenario, historyPage) =>
        checkScenario(
          createBatchDecider({
            store: crashing,
            clock: systemClock,
            auditEnabled: true,
            eventOrder: 'created_at',
            historyPage,
          }),
          scenario,
        ),
      ),
      // Shrinking replays against Postgres for minutes: a failure reports its first counterexample.
      { numRuns: 40, endOnFailure: true },
    );
  }, 240_000);
});
