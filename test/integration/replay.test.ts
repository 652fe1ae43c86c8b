import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ComponentType } from '../../src/domain/catalogue.js';
import { parseInstant } from '../../src/domain/timestamp.js';
import { createKafkaClient } from '../../src/kafka/kafkajs/client.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Clock } from '../../src/processing/clock.js';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider, type BatchDecider } from '../../src/processing/decide-batch.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import type { DecodedMessage } from '../../src/processing/decoded-message.js';
import type { EventOrder } from '../../src/processing/event-order.js';
import type { Outcome } from '../../src/processing/outcome.js';
import type { DecisionStore } from '../../src/processing/ports.js';
import { createFailureRecorder } from '../../src/processing/record-failure.js';
import { checkConsistency } from '../../src/replay/consistency-check.js';
import { repairStates } from '../../src/replay/repair.js';
import { createContractRepository, type ContractRepository } from '../../src/store/contracts.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';
import { referencePositionId } from '../support/fault/reference-decoder.js';
import { holdBeforeCommit } from '../support/held-store.js';
import { readOutcomes } from '../support/outcome-reader.js';
import { ALL_COMPONENTS, WORKED_EXAMPLE_LINES } from '../support/worked-example.js';

// `npm run replay` against real Postgres (and Kafka for --republish): states
// built by the real decider, then changed by hand, checked, repaired (also
// while batches are being decided) and outcomes re-published. Expected values
// are written out by hand from the worked example and the rules.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let db: TestDatabase;
let prisma: PrismaClient;
let contracts: ContractRepository;
let store: DecisionStore;
let offset = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, 6);
  contracts = createContractRepository(prisma);
  store = createDecisionStore(prisma);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const decider = (eventOrder: EventOrder, clock: Clock = systemClock, on: DecisionStore = store): BatchDecider =>
  createBatchDecider({ store: on, clock, auditEnabled: true, eventOrder });

/** A consumed message (keyed by its contract number when it has one) at the next offset. */
function message(value: string | Record<string, string>): DecodedMessage {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  let key: Buffer | null = null;
  try {
    key = Buffer.from((JSON.parse(text) as { contract_number: string }).contract_number);
  } catch {
    // not JSON: no key
  }
  return decodeMessage({
    key,
    value: Buffer.from(text),
    source: { transport: 'kafka', topic: 'contract-events', partition: 0, offset: String(offset++) },
  });
}

const event = (id: string, type: string, contract: string, date: string, createdAt: string) =>
  message({ event_id: id, type, contract_number: contract, date, created_at: createdAt });

const sql = (text: string, values: unknown[] = []) =>
  withClient(db.url, async (client) => (await client.query(text, values)).rows);

async function reset(numbers: Record<string, readonly ComponentType[]>): Promise<void> {
  await sql('TRUNCATE contracts, component_states, processed_events, event_audit, outcome_outbox, event_revisions');
  for (const [contractNumber, components] of Object.entries(numbers))
    await contracts.create({ contractNumber, components: [...components] });
}

/** One stored state row as text (microseconds kept), or undefined when there is none. */
async function storedState(
  contractNumber: string,
  component: string,
): Promise<Record<string, string | null> | undefined> {
  const rows = await sql(
    `SELECT to_char(s.start_date, 'YYYY-MM-DD') AS start_date,
            to_char(s.start_event_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS start_at,
            to_char(s.end_date, 'YYYY-MM-DD') AS end_date,
            to_char(s.end_event_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS end_at,
            to_char(s.folded_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS folded_at, s.folded_event_id
     FROM component_states s JOIN contracts c ON c.id = s.contract_id
     WHERE c.contract_number = $1 AND c.deleted_at IS NULL AND s.component_type = $2::component_type`,
    [contractNumber, component],
  );
  return rows[0] as Record<string, string | null> | undefined;
}

/** Changes a live contract's stored state by hand, as an operator with psql would. */
const changeState = (contractNumber: string, component: string, set: string) =>
  sql(
    `UPDATE component_states SET ${set}
     WHERE component_type = $2::component_type AND contract_id = (SELECT id FROM contracts WHERE contract_number = $1 AND deleted_at IS NULL)`,
    [contractNumber, component],
  );

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run replay -- <args>` as a child process, the way an operator runs it. */
function replayCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/replay/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('replay --check and --repair, EVENT_ORDER=arrival', () => {
  const env = () => ({ DATABASE_URL: db.url, EVENT_ORDER: 'arrival' });

  beforeAll(async () => {
    await reset({ '1234': ALL_COMPONENTS, 'C-2': ['energy_supply', 'battery_optimization'], 'D-1': ['energy_supply'] });
    const decide = decider('arrival');
    await decide(WORKED_EXAMPLE_LINES.map(message));
    await decide([
      // Arrival order: the end comes first and is rejected (END_WITHOUT_START); created_at order would accept both.
      event('c2-end', 'supply_energy_end', 'C-2', '2024-12-31', '2024-11-20T10:05:00Z'),
      event('c2-start', 'supply_energy_start', 'C-2', '2024-12-01', '2024-11-20T10:00:00Z'),
      event('c2-heat', 'heatpump_optimization_start', 'C-2', '2024-12-01', '2024-11-20T10:00:00Z'),
      message('not json'),
      event('d1-old-start', 'supply_energy_start', 'D-1', '2024-01-01', '2024-01-01T00:00:00Z'),
      event('d1-old-end', 'supply_energy_end', 'D-1', '2024-06-30', '2024-01-02T00:00:00Z'),
    ]);
    // Given up as PROCESSING_FAILED: audited against C-2 with its event, but it never touched a state.
    const giveUp = createFailureRecorder({
      store,
      clock: systemClock,
      auditEnabled: true,
      onUnrecorded: () => undefined,
    });
    await giveUp(
      event('c2-failed', 'battery_optimization_start', 'C-2', '2024-03-01', '2024-11-20T10:00:00Z'),
      new Error('refused'),
      3,
    );
    // A deleted incarnation keeps its audit; the new contract under the number starts afresh.
    await contracts.delete('D-1', 'test');
    await contracts.create({ contractNumber: 'D-1', components: ['energy_supply'] });
    await decide([event('d1-new-start', 'supply_energy_start', 'D-1', '2025-02-01', '2025-01-15T08:00:00.123456Z')]);
  });

  it('agrees with the states the consumer wrote: exit 0 and a summary', async () => {
    expect(await checkConsistency({ databaseUrl: db.url, eventOrder: 'arrival' })).toEqual({
      eventOrder: 'arrival',
      contracts: 3,
      components: 6,
      differences: [],
    });
    const run = await replayCli(['--check'], env());
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual([
      'checked 3 contracts, 6 components against the audit (EVENT_ORDER=arrival): no differences',
    ]);
  });

  it('recomputes in the configured order: created_at order would have accepted the end C-2 received first', async () => {
    const inCreatedAtOrder = await checkConsistency({ databaseUrl: db.url, eventOrder: 'created_at', contract: 'C-2' });
    expect(inCreatedAtOrder.differences).toEqual([
      {
        contractId: expect.any(String),
        contractNumber: 'C-2',
        component: 'energy_supply',
        fields: [
          { field: 'end_date', stored: null, expected: '2024-12-31' },
          { field: 'end_event_created_at', stored: null, expected: '2024-11-20T10:05:00.000000Z' },
        ],
      },
    ]);
  });

  it('lists exactly the difference made by hand in Postgres and exits 1', async () => {
    await changeState('1234', 'energy_supply', `end_date = '2025-01-01'`);
    const result = await checkConsistency({ databaseUrl: db.url, eventOrder: 'arrival' });
    expect(result.differences).toEqual([
      {
        contractId: expect.any(String),
        contractNumber: '1234',
        component: 'energy_supply',
        fields: [{ field: 'end_date', stored: '2025-01-01', expected: '2024-12-31' }],
      },
    ]);
    const run = await replayCli(['--check'], env());
    expect(run.code, run.stderr).toBe(1);
    expect(lines(run.stdout)).toEqual([
      'contract "1234" energy_supply: end_date stored 2025-01-01, expected 2024-12-31',
      'checked 3 contracts, 6 components against the audit (EVENT_ORDER=arrival): 1 difference in 1 contract',
    ]);
  });

  it('--contract limits the check to one live contract', async () => {
    const other = await replayCli(['--check', '--contract', 'C-2'], env());
    expect(other.code, other.stderr).toBe(0);
    expect(lines(other.stdout)).toEqual([
      'checked 1 contract, 2 components against the audit (EVENT_ORDER=arrival): no differences',
    ]);
    const changed = await replayCli(['--check', '--contract', '1234'], env());
    expect(changed.code).toBe(1);
    expect(lines(changed.stdout)[0]).toBe(
      'contract "1234" energy_supply: end_date stored 2025-01-01, expected 2024-12-31',
    );
    const unknown = await replayCli(['--check', '--contract', 'no-such'], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('There is no live contract "no-such".');
  });

  it('sees a difference of one microsecond and a missing row', async () => {
    await changeState(
      '1234',
      'battery_optimization',
      `end_event_created_at = end_event_created_at + interval '1 microsecond'`,
    );
    await sql(`DELETE FROM component_states WHERE component_type = 'heatpump_optimization'`);
    const { differences } = await checkConsistency({ databaseUrl: db.url, eventOrder: 'arrival', contract: '1234' });
    expect(differences.map(({ component, fields }) => ({ component, fields }))).toEqual([
      { component: 'energy_supply', fields: [{ field: 'end_date', stored: '2025-01-01', expected: '2024-12-31' }] },
      {
        component: 'battery_optimization',
        fields: [
          {
            field: 'end_event_created_at',
            stored: '2024-11-20T10:10:00.000001Z',
            expected: '2024-11-20T10:10:00.000000Z',
          },
        ],
      },
      {
        component: 'heatpump_optimization',
        fields: [
          { field: 'start_date', stored: null, expected: '2025-03-03' },
          { field: 'start_event_created_at', stored: null, expected: '2024-11-20T10:04:00.000000Z' },
          { field: 'end_date', stored: null, expected: '2025-04-04' },
          { field: 'end_event_created_at', stored: null, expected: '2024-11-20T10:05:00.000000Z' },
        ],
      },
    ]);
  });

  it('--repair rewrites what differs, says what it did, and the check passes again', async () => {
    const run = await replayCli(['--repair'], env());
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual([
      'repaired contract "1234" energy_supply: end_date 2025-01-01 -> 2024-12-31',
      'repaired contract "1234" battery_optimization: end_event_created_at 2024-11-20T10:10:00.000001Z -> 2024-11-20T10:10:00.000000Z',
      'repaired contract "1234" heatpump_optimization: start_date null -> 2025-03-03; start_event_created_at null -> 2024-11-20T10:04:00.000000Z; ' +
        'end_date null -> 2025-04-04; end_event_created_at null -> 2024-11-20T10:05:00.000000Z',
      'checked 3 contracts, 6 components against the audit (EVENT_ORDER=arrival): 3 differences in 1 contract; repaired 3 components of 1 contract',
    ]);
    expect(await storedState('1234', 'energy_supply')).toEqual({
      start_date: '2024-12-01',
      start_at: '2024-11-20T10:00:00.000000Z',
      end_date: '2024-12-31',
      end_at: '2024-11-20T10:01:00.000000Z',
      folded_at: null,
      folded_event_id: null,
    });
    expect(await storedState('1234', 'heatpump_optimization')).toMatchObject({
      start_date: '2025-03-03',
      end_date: '2025-04-04',
    });
    const again = await replayCli(['--check'], env());
    expect(again.code, again.stdout).toBe(0);
    const nothing = await replayCli(['--repair'], env());
    expect(lines(nothing.stdout)).toEqual([
      'checked 3 contracts, 6 components against the audit (EVENT_ORDER=arrival): no differences; nothing to repair',
    ]);
  });

  it('refuses a wrong command line with exit 2', async () => {
    for (const args of [
      [],
      ['--check', '--repair'],
      ['--check', '--from', '2026-01-01T00:00:00Z'],
      ['--check', '--bogus'],
    ]) {
      const run = await replayCli(args, env());
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('--help for usage');
    }
  });
});

describe('replay --check and --repair, EVENT_ORDER=created_at', () => {
  beforeAll(async () => {
    await reset({ 'K-1': ['energy_supply', 'battery_optimization'] });
    const decide = decider('created_at');
    // Arriving out of created_at order, one batch each: the late start re-folds the component.
    await decide([event('e1', 'battery_optimization_start', 'K-1', '2024-03-01', '2024-11-20T10:00:00.000002Z')]);
    await decide([event('e2', 'supply_energy_end', 'K-1', '2024-12-31', '2024-11-20T10:05:00Z')]);
    await decide([event('e3', 'supply_energy_start', 'K-1', '2024-12-01', '2024-11-20T10:00:00Z')]);
    // Same created_at as e3: ties go by event_id, and "a-tie" < "e3", so it is the start that counts.
    await decide([event('a-tie', 'supply_energy_start', 'K-1', '2024-11-15', '2024-11-20T10:00:00Z')]);
  });

  it('agrees in created_at order, and differs in arrival order exactly where the order matters', async () => {
    expect(await checkConsistency({ databaseUrl: db.url, eventOrder: 'created_at' })).toMatchObject({
      contracts: 1,
      components: 2,
      differences: [],
    });
    const inArrivalOrder = await checkConsistency({ databaseUrl: db.url, eventOrder: 'arrival' });
    // Arrival: e2 has no start yet (rejected), e3 starts it, a-tie is stale (equal created_at).
    expect(inArrivalOrder.differences.map(({ component, fields }) => ({ component, fields }))).toEqual([
      {
        component: 'energy_supply',
        fields: [
          { field: 'start_date', stored: '2024-11-15', expected: '2024-12-01' },
          { field: 'end_date', stored: '2024-12-31', expected: null },
          { field: 'end_event_created_at', stored: '2024-11-20T10:05:00.000000Z', expected: null },
        ],
      },
    ]);
    const run = await replayCli(['--check'], { DATABASE_URL: db.url, EVENT_ORDER: 'created_at' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('(EVENT_ORDER=created_at): no differences');
  });

  it('repairs a changed row without a fold position, and the consumer re-folds from the audit at the next event', async () => {
    await changeState(
      'K-1',
      'energy_supply',
      `start_date = '2024-11-16', folded_created_at = NULL, folded_event_id = NULL`,
    );
    const result = await repairStates({ databaseUrl: db.url, eventOrder: 'created_at' });
    expect(
      result.repaired.map(({ contractNumber, component, fields }) => ({ contractNumber, component, fields })),
    ).toEqual([
      {
        contractNumber: 'K-1',
        component: 'energy_supply',
        fields: [{ field: 'start_date', stored: '2024-11-16', expected: '2024-11-15' }],
      },
    ]);
    expect(await storedState('K-1', 'energy_supply')).toEqual({
      start_date: '2024-11-15',
      start_at: '2024-11-20T10:00:00.000000Z',
      end_date: '2024-12-31',
      end_at: '2024-11-20T10:05:00.000000Z',
      folded_at: null,
      folded_event_id: null,
    });
    // A later event re-folds the whole history and continues from there.
    const [outcome] = await decider('created_at')([
      event('e5', 'supply_energy_end', 'K-1', '2025-01-10', '2024-11-20T10:06:00Z'),
    ]);
    expect(outcome!.message.code).toBe('ACCEPTED');
    expect(await storedState('K-1', 'energy_supply')).toMatchObject({ end_date: '2025-01-10', folded_event_id: 'e5' });
    expect((await checkConsistency({ databaseUrl: db.url, eventOrder: 'created_at' })).differences).toEqual([]);
  });
});

describe('replay --repair while the consumer runs', () => {
  it('waits for a batch that holds the contract, then recomputes from what that batch committed', async () => {
    await reset({ 'L-1': ['energy_supply'] });
    await decider('arrival')([event('l-1', 'supply_energy_start', 'L-1', '2024-12-01', '2024-11-20T10:00:00Z')]);
    // An end no event ever sent; starts are still accepted against it, so the consumer carries it along.
    await changeState('L-1', 'energy_supply', `end_date = '2999-12-31', end_event_created_at = '2999-01-01T00:00:00Z'`);

    // A batch that has locked the contract and written its decision, but not committed yet.
    const { store: held, atCommit, release } = holdBeforeCommit(store);
    const batch = decider(
      'arrival',
      systemClock,
      held,
    )([event('l-2', 'supply_energy_start', 'L-1', '2024-12-02', '2024-11-20T10:01:00Z')]);
    await atCommit;

    let repairDone = false;
    const repair = repairStates({ databaseUrl: db.url, eventOrder: 'arrival' }).finally(() => (repairDone = true));
    await sleep(750);
    expect(repairDone, 'the repair must wait for the contract lock the batch holds').toBe(false);
    release();
    const [outcome] = await batch;
    expect(outcome!.message.code).toBe('ACCEPTED');
    const result = await repair;
    expect(result.repaired.map(({ fields }) => fields)).toEqual([
      [
        { field: 'end_date', stored: '2999-12-31', expected: null },
        { field: 'end_event_created_at', stored: '2999-01-01T00:00:00.000000Z', expected: null },
      ],
    ]);
    // Both starts, in the order they were decided; the invented end is gone.
    expect(await storedState('L-1', 'energy_supply')).toMatchObject({
      start_date: '2024-12-02',
      start_at: '2024-11-20T10:01:00.000000Z',
      end_date: null,
      end_at: null,
    });
    expect((await checkConsistency({ databaseUrl: db.url, eventOrder: 'arrival' })).differences).toEqual([]);
  });

  it('repairs every changed contract while batches keep deciding their events, and the final check passes', async () => {
    const numbers = Array.from({ length: 30 }, (_, n) => `R-${n}`);
    // Ids from 96 to 125: pages must follow the numbers, not their text ("100" < "96").
    await sql(`SELECT setval(pg_get_serial_sequence('contracts', 'id'), 95)`);
    await reset(Object.fromEntries(numbers.map((n) => [n, ['energy_supply'] as const])));
    const decide = decider('arrival');
    await decide(numbers.map((n) => event(`${n}-0`, 'supply_energy_start', n, '2024-12-01', '2024-11-20T10:00:00Z')));
    await sql(`UPDATE component_states SET end_date = '2999-12-31', end_event_created_at = '2999-01-01T00:00:00Z'`);

    let stop = false;
    let rounds = 0;
    let roundsDuringRepair = 0;
    let repairing = false;
    const consumer = (async () => {
      for (let round = 1; !stop; round += 1) {
        // Every round starts every contract again, later and on another day: each one is accepted and moves the state.
        const second = String(round % 60).padStart(2, '0');
        const minute = String(10 + Math.floor(round / 60)).padStart(2, '0');
        const day = String(1 + (round % 28)).padStart(2, '0');
        await decide(
          numbers.map((n) =>
            event(`${n}-${round}`, 'supply_energy_start', n, `2024-12-${day}`, `2024-11-20T${minute}:${second}:00Z`),
          ),
        );
        rounds += 1;
        if (repairing) roundsDuringRepair += 1;
      }
    })();
    await sleep(200);
    repairing = true;
    const result = await repairStates({ databaseUrl: db.url, eventOrder: 'arrival' });
    repairing = false;
    const roundsAtRepair = rounds;
    while (rounds < roundsAtRepair + 3) await sleep(20);
    stop = true;
    await consumer;

    expect(roundsDuringRepair, 'batches were decided while the repair ran').toBeGreaterThan(0);
    expect(new Set(result.repaired.map((difference) => difference.contractNumber)).size).toBe(numbers.length);
    const final = await checkConsistency({ databaseUrl: db.url, eventOrder: 'arrival', pageSize: 7 });
    expect(final).toMatchObject({ contracts: numbers.length, components: numbers.length, differences: [] });
    for (const n of numbers)
      expect(await storedState(n, 'energy_supply')).toMatchObject({ end_date: null, end_at: null });
  });
});

describe('replay --republish', () => {
  const brokers = inject('kafkaBrokers');
  const topic = `replay-${randomUUID().slice(0, 8)}-outcomes`;
  const T1 = '2026-03-01T10:00:00.000000Z';
  const T2 = '2026-03-01T10:00:00.000001Z';
  const T3 = '2026-03-01T10:00:01.000000Z';
  const clockAt =
    (instant: string): Clock =>
    () =>
      parseInstant(instant)!;
  let inRange: Outcome[];

  beforeAll(async () => {
    const kafka = createKafkaClient({
      clientId: 'replay-test',
      brokers: brokers.split(','),
      logger: createLogger('silent'),
    });
    // One partition, so the order of the re-published outcomes shows.
    await kafka.ensureTopics([{ topic, partitions: 1, replicationFactor: 1 }]);
    await reset({ 'P-1': ['energy_supply'] });
    await decider(
      'arrival',
      clockAt(T1),
    )([event('p-a1', 'supply_energy_start', 'P-1', '2024-12-01', '2024-11-20T10:00:00Z')]);
    inRange = await decider(
      'arrival',
      clockAt(T2),
    )([
      event('p-b1', 'supply_energy_end', 'P-1', '2024-12-31', '2024-11-20T10:05:00.123456Z'),
      event('p-b2', 'supply_energy_end', 'P-1', '2024-12-30', '2024-11-20T10:04:00Z'),
      message('not json'),
      message({
        event_id: 'p-b3',
        type: 'supply_energy_start',
        contract_number: 'P-1',
        date: '2024-02-30',
        created_at: '2024-11-20T10:00:00Z',
      }),
      event('p-b4', 'supply_energy_start', 'NOBODY', '2024-12-01', '2024-11-20T10:00:00Z'),
    ]);
    await decider(
      'arrival',
      clockAt(T3),
    )([event('p-c1', 'supply_energy_start', 'P-1', '2024-12-02', '2024-11-20T10:09:00Z')]);
  });

  it('publishes the outcomes decided in [from, to) again, marked as replays, with their decisions', async () => {
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: brokers, OUTCOMES_TOPIC: topic };
    const run = await replayCli(['--republish', '--from', T2, '--to', T3], env);
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual([
      `republished 5 outcomes decided from ${T2} to ${T3} (exclusive) to ${topic}, marked replay: true`,
    ]);

    const read = await readOutcomes(brokers, topic, 5, { timeoutMs: 30_000, quietMs: 1_000 });
    // Written out by hand: the batch decided at T2 and nothing else (T1 is a microsecond before, T3 is excluded).
    expect(
      Object.fromEntries(
        read.map(({ message: m }) => [m.event_id, [m.status, m.code, m.replay, m.duplicate, m.processed_at]]),
      ),
    ).toEqual({
      'p-b1': ['accepted', 'ACCEPTED', true, false, T2],
      'p-b2': ['rejected', 'STALE_END', true, false, T2],
      [inRange[2]!.message.event_id]: ['error', 'INVALID_JSON', true, false, T2],
      'p-b3': ['error', 'VALIDATION_ERROR', true, false, T2],
      'p-b4': ['rejected', 'CONTRACT_NOT_FOUND', true, false, T2],
    });
    // Each is the outcome first published for its message, but for `replay`, with the same key and event-id header;
    // except that input that was not a valid event is keyed by its position id (its own key is not stored).
    const original = new Map(inRange.map((outcome) => [outcome.message.event_id, outcome]));
    for (const { key, headers, message: replayed, raw } of read) {
      const first = original.get(replayed.event_id)!;
      const { source } = first.message;
      expect(raw).toEqual({ ...first.message, replay: true });
      expect(key).toBe(
        first.message.event === null && source.transport === 'kafka'
          ? referencePositionId(source.topic, source.partition, source.offset)
          : first.key,
      );
      expect(headers['event-id']).toBe(replayed.event_id);
    }
    // In (processed_at, event_id) order: the ledger ids of the two invalid messages are hex digests, before "p-".
    expect(read.map(({ message: m }) => m.event_id).slice(2)).toEqual(['p-b1', 'p-b2', 'p-b4']);
  });

  it('refuses a range whose start is not before its end', async () => {
    const run = await replayCli(['--republish', '--from', T3, '--to', T2], {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: brokers,
      OUTCOMES_TOPIC: topic,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--from (${T3}) must be before --to (${T2})`);
  });
});
