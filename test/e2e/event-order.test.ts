import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seededRandom } from '../support/fault/workload.js';
import { ReferenceModel, type ReferenceEvent } from '../support/fault/reference-model.js';
import { readOutcomes, type ReadOutcome } from '../support/outcome-reader.js';
import { runScript, startServiceProcess, type ServiceProcess } from '../support/service-process.js';

// EVENT_ORDER=created_at through Kafka: one event set produced in created_at
// order, and a copy of it (other contract numbers) produced shuffled. Both end
// in the same timelines, the in-order fold of the reference model, and the
// shuffled copy's changed decisions arrive as revision outcomes.

const run = randomUUID().slice(0, 8);
const env = {
  KAFKA_BROKERS: inject('kafkaBrokers'),
  EVENTS_TOPIC: `order-${run}-events`,
  OUTCOMES_TOPIC: `order-${run}-outcomes`,
  KAFKA_GROUP_ID: `order-${run}`,
  TOPIC_PARTITIONS: '3',
  EVENT_ORDER: 'created_at',
};
const CONTRACTS = 12;
const EVENTS_PER_CONTRACT = 12;
const COMPONENTS = ['energy_supply', 'battery_optimization'];
const TYPES = ['supply_energy_start', 'supply_energy_end', 'battery_optimization_start', 'battery_optimization_end'];

interface SentEvent extends ReferenceEvent {
  id: string;
}

let db: TestDatabase;
let service: ServiceProcess;

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  service = await startServiceProcess({ ...env, DATABASE_URL: db.url });
});
afterAll(async () => {
  await service?.stop('SIGKILL');
  await db?.drop();
});

/** One contract's events: few distinct instants and dates, so stale, reordered and tied events are common. */
function eventsFor(contract: string, random: (n: number) => number): SentEvent[] {
  return Array.from({ length: EVENTS_PER_CONTRACT }, (_, index) => ({
    id: `${contract}-${String(index).padStart(2, '0')}`,
    type: TYPES[random(TYPES.length)]!,
    contract,
    date: `2024-12-${String(1 + random(9)).padStart(2, '0')}`,
    createdAt: `2024-11-20T10:00:0${random(4)}.00000${random(3)}Z`,
  }));
}

const inCreatedAtOrder = (a: SentEvent, b: SentEvent) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1;

function shuffled<T>(items: readonly T[], random: (n: number) => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = random(i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

const line = (e: SentEvent) =>
  JSON.stringify({ event_id: e.id, type: e.type, contract_number: e.contract, date: e.date, created_at: e.createdAt });

async function timelineOf(contract: string): Promise<unknown> {
  const response = await fetch(`${service.baseUrl}/contracts/${contract}/timeline`);
  return ((await response.json()) as { components: unknown }).components;
}

describe('EVENT_ORDER=created_at through Kafka', () => {
  it('gives shuffled arrivals the timelines of in-order arrivals, announcing changed decisions as revisions', async () => {
    const random = seededRandom(20261128);
    const ordered: SentEvent[] = [];
    const mixed: SentEvent[] = [];
    for (let n = 0; n < CONTRACTS; n += 1) {
      const events = eventsFor(`in-${n}`, random);
      ordered.push(...[...events].sort(inCreatedAtOrder));
      // The same events for a twin contract, in an arbitrary order.
      mixed.push(...events.map((e) => ({ ...e, contract: `mix-${n}`, id: e.id.replace('in-', 'mix-') })));
    }
    for (const contract of [...ordered, ...mixed].map((e) => e.contract).filter((c, i, all) => all.indexOf(c) === i)) {
      const created = await fetch(`${service.baseUrl}/contracts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contract_number: contract, components: COMPONENTS }),
      });
      expect(created.status).toBe(201);
    }
    // Two waves, so events of the second arrive late for what the first already decided.
    const arrival = shuffled(mixed, random);
    const waves = [[...ordered, ...arrival.slice(0, arrival.length / 2)], arrival.slice(arrival.length / 2)];
    let outcomes: ReadOutcome[] = [];
    let sent = 0;
    for (const [index, wave] of waves.entries()) {
      const file = `/tmp/ces-order-${run}-${index}.jsonl`;
      await writeFile(file, `${wave.map(line).join('\n')}\n`);
      await runScript('scripts/produce.ts', [file], { ...env, DATABASE_URL: db.url });
      sent += wave.length;
      const answered = () =>
        new Set(outcomes.filter((o) => o.message.revises === null).map((o) => o.message.event_id)).size;
      for (let expected = sent; answered() < sent; expected = outcomes.length + 1)
        outcomes = await readOutcomes(env.KAFKA_BROKERS, env.OUTCOMES_TOPIC, expected);
    }

    const model = new ReferenceModel(new Map([...ordered, ...mixed].map((e) => [e.contract, COMPONENTS])));
    const expectedCodes = new Map(
      [...[...ordered].sort(inCreatedAtOrder), ...[...mixed].sort(inCreatedAtOrder)].map((e) => [e.id, model.apply(e)]),
    );
    // One contract stays on one partition, so offset order is the order its outcomes were published in.
    const latest = new Map<string, string>();
    for (const outcome of [...outcomes].sort(
      (a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
    )) {
      latest.set(outcome.message.event_id, outcome.message.code);
    }
    expect(Object.fromEntries(latest)).toEqual(Object.fromEntries(expectedCodes));

    const revisions = outcomes.filter((o) => o.message.revises !== null);
    expect(revisions.filter((o) => o.key?.startsWith('in-'))).toEqual([]);
    expect(revisions.length).toBeGreaterThan(0);
    for (const { message } of revisions) {
      expect(message.revision).toBe(message.revises!.revision + 1);
      expect(message.code).not.toBe(message.revises!.code);
      expect(message.revises!.caused_by).toMatch(/^mix-/);
    }

    for (let n = 0; n < CONTRACTS; n += 1) {
      const expected = Object.fromEntries(
        COMPONENTS.map((component) => {
          const state = model.states.get(`in-${n}/${component}`);
          return [component, { start: state?.start?.date ?? null, end: state?.end?.date ?? null }];
        }),
      );
      expect(await timelineOf(`in-${n}`), `in-${n}`).toEqual(expected);
      expect(await timelineOf(`mix-${n}`), `mix-${n}`).toEqual(expected);
    }

    // The events listing shows each event's current decision and its revision.
    const revised = revisions.at(-1)!.message;
    const page = (await (
      await fetch(`${service.baseUrl}/contracts/${revised.event!.contract_number}/events?limit=500`)
    ).json()) as {
      events: { event_id: string; code: string; revision: number }[];
    };
    const listed = page.events.find((e) => e.event_id === revised.event_id);
    expect(listed).toMatchObject({ code: expectedCodes.get(revised.event_id), revision: expect.any(Number) as number });
    expect(listed!.revision).toBeGreaterThan(0);
  });
});
