import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENT_TYPES, EVENT_TYPES, type ComponentType } from '../../src/domain/catalogue.js';
import { decide, type ContractView } from '../../src/domain/decide.js';
import { buildTimeline } from '../../src/domain/timeline.js';
import { parseInstant } from '../../src/domain/timestamp.js';
import { createLogger } from '../../src/observability/logger.js';
import { createContractRepository } from '../../src/store/contracts.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';
import { seededRandom } from '../support/fault/workload.js';
import { startInProcessService, type InProcessService } from '../support/in-process-service.js';

// Many contracts over several partitions, decided in batches by partitions in
// parallel: every message gets one outcome and the final states equal a fold
// of each contract's events in the order Kafka holds them.

const CONTRACTS = 40;
const EVENTS = 2_000;
let db: TestDatabase;
let prisma: PrismaClient;
let running: InProcessService;

/** Seeded events, so a failure can be replayed. */
function* randomEvents(seed: number) {
  const next = seededRandom(seed);
  for (let i = 0; i < EVENTS; i += 1) {
    const contract = `k-${next(CONTRACTS + 2)}`; // two of them do not exist
    const day = String(1 + next(28)).padStart(2, '0');
    // Time mostly moves forward, with enough jitter for stale and reordered events.
    const seconds = i * 20 + next(600);
    const createdAt = new Date(Date.UTC(2024, 10, 1) + seconds * 1000).toISOString().slice(0, 19);
    yield {
      type: EVENT_TYPES[next(EVENT_TYPES.length)]!,
      contract_number: contract,
      date: `2024-0${1 + next(9)}-${day}`,
      created_at: `${createdAt}.${String(next(1_000_000)).padStart(6, '0')}Z`,
    };
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, 2);
  running = await startInProcessService(db, createLogger('silent'), { TOPIC_PARTITIONS: '4', BATCH_MAX_SIZE: '100' });
  const contracts = createContractRepository(prisma);
  for (let i = 0; i < CONTRACTS; i += 1) {
    // Contract k-0 lacks the heat pump, so COMPONENT_NOT_CONFIGURED happens too.
    const components: ComponentType[] = i === 0 ? ['energy_supply', 'battery_optimization'] : [...COMPONENT_TYPES];
    await contracts.create({ contractNumber: `k-${i}`, components });
  }
});
afterAll(async () => {
  await running?.service.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

describe('the consumer under load', () => {
  it('decides every message once and ends in the state a sequential fold predicts', async () => {
    const events = [...randomEvents(42)];
    const lines = [...events.map((event) => JSON.stringify(event)), 'garbage'];
    const outcomes = await running.sendAndAwait(lines);
    expect(outcomes).toHaveLength(lines.length);
    const positions = new Set(
      outcomes.map(({ message: { source } }) =>
        source.transport === 'kafka' ? `${source.partition}/${source.offset}` : 'http',
      ),
    );
    expect(positions.size).toBe(lines.length);

    // Reference: fold each contract's events in the order Kafka holds them (one key, one partition).
    const views = new Map<string, ContractView>();
    for (let i = 0; i < CONTRACTS; i += 1) {
      views.set(`k-${i}`, {
        contractNumber: `k-${i}`,
        components: i === 0 ? ['energy_supply', 'battery_optimization'] : [...COMPONENT_TYPES],
        states: {},
      });
    }
    const expectedCodes = new Map<string, string>();
    const seen = new Set<string>();
    for (const event of events) {
      const domainEvent = {
        type: event.type,
        contractNumber: event.contract_number,
        date: event.date,
        createdAt: parseInstant(event.created_at)!,
      };
      const key = JSON.stringify(event);
      if (seen.has(key)) continue; // the same content twice is one event
      seen.add(key);
      const view = views.get(event.contract_number);
      const decision = decide(view, domainEvent);
      expectedCodes.set(key, decision.code);
      if (view && decision.nextState) view.states = { ...view.states, [decision.component]: decision.nextState };
    }
    const firstOutcomes = outcomes.filter((o) => !o.message.duplicate && o.message.event);
    for (const outcome of firstOutcomes) {
      const { type, contract_number, date, created_at } = outcome.message.event!;
      expect(outcome.message.code).toBe(expectedCodes.get(JSON.stringify({ type, contract_number, date, created_at })));
    }
    const codes = new Set(firstOutcomes.map((o) => o.message.code));
    expect([...codes].sort()).toEqual([
      'ACCEPTED',
      'COMPONENT_NOT_CONFIGURED',
      'CONTRACT_NOT_FOUND',
      'END_BEFORE_START',
      'END_WITHOUT_START',
      'RESTART_AFTER_END',
      'STALE_END',
      'STALE_START',
      'START_AFTER_END_DATE',
    ]);

    const stored = createContractRepository(prisma);
    for (const [number, view] of views) {
      expect(buildTimeline((await stored.findWithStates(number))!), number).toEqual(buildTimeline(view));
    }
    const audit = await withClient(db.url, async (client) =>
      Number((await client.query('SELECT count(*) AS n FROM event_audit')).rows[0].n),
    );
    expect(audit).toBe(seen.size + 1);
  });
});
