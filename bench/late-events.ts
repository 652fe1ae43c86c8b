import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { parseArgs } from 'node:util';
import { EMPTY_COMPONENT_STATE } from '../src/domain/component-state.js';
import { foldInOrder } from '../src/domain/fold.js';
import { formatInstant, type Micros } from '../src/domain/timestamp.js';
import { systemClock } from '../src/processing/clock.js';
import { createBatchDecider } from '../src/processing/decide-batch.js';
import { decodeMessage } from '../src/processing/decode-message.js';
import type { ValidMessage } from '../src/processing/decoded-message.js';
import type { DecisionStore } from '../src/processing/ports.js';
import { createContractRepository } from '../src/store/contracts.js';
import { createDecisionStore } from '../src/store/decision-store.js';
import { applyMigrations } from '../src/store/migrations.js';
import { createPrismaClient } from '../src/store/prisma-client.js';
import { dropDatabase, withClient, withDatabase } from '../scripts/infra/pg-admin.js';
import { dateText, mulberry32 } from './dataset.js';
import { cpuBusyShare } from './measure/machine-load.js';
import { percentile } from './measure/latency.js';

// `npm run bench:late-events` (issue 19, item 2): EVENT_ORDER=created_at on
// one component with a long decided history. The history is decided through
// the service's own batch decider in created_at order, then late events are
// decided one per transaction, each landing somewhere inside it, and last one
// that lands before nearly all of it and changes the state to the end (the
// worst case: everything after it is read). Prints each late event's latency,
// the events it read and the decisions it revised, and the process's peak RSS
// (VmHWM, reset before each phase). Finally every decision and the state are
// checked against one fold of all events in created_at order.

const USAGE = 'usage: npm run bench:late-events -- [--events N] [--late N] [--seed N] [--database-url URL]';
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    late: { type: 'string', default: '20' },
    seed: { type: 'string', default: '19' },
    'database-url': {
      type: 'string',
      default: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const HISTORY = Number(values.events);
const LATE = Number(values.late);
if (!Number.isInteger(HISTORY) || HISTORY < 2 || !Number.isInteger(LATE) || LATE < 1) throw new Error(USAGE);

const CONTRACT = 'LATE-1';
const CHUNK = 1000; // BATCH_MAX_SIZE's default
const SECOND = 1_000_000n;
const FIRST = 1_732_096_800_000_000n; // 2024-11-20T10:00:00Z
const random = mulberry32(Number(values.seed));

interface Event {
  id: string;
  type: 'supply_energy_start' | 'supply_energy_end';
  day: number;
  createdAt: Micros;
}

/** The history: one event a second (microsecond digits random); two starts first, then starts and ends at random over a year of dates. */
const history: Event[] = Array.from({ length: HISTORY }, (_, i) => ({
  id: `h-${String(i).padStart(6, '0')}`,
  type: i < 2 || random() < 0.5 ? 'supply_energy_start' : 'supply_energy_end',
  day: i < 2 ? i : Math.floor(random() * 365),
  createdAt: FIRST + BigInt(i) * SECOND + BigInt(Math.floor(random() * 900_000)),
}));
/** Late events half a second after a random event of the history. */
const late: Event[] = Array.from({ length: LATE }, (_, n) => ({
  id: `late-${String(n).padStart(2, '0')}`,
  type: random() < 0.5 ? 'supply_energy_start' : 'supply_energy_end',
  day: Math.floor(random() * 365),
  createdAt: history[Math.floor(random() * (HISTORY - 1))]!.createdAt + SECOND / 2n,
}));
/** An end between the two first starts: the second and every later start now come after an end, to the end of the history. */
const earliest: Event = {
  id: 'late-earliest',
  type: 'supply_energy_end',
  day: 0,
  createdAt: history[0]!.createdAt + SECOND / 2n,
};

let offset = 0;
const message = (e: Event): ValidMessage => {
  const value = JSON.stringify({
    event_id: e.id,
    type: e.type,
    contract_number: CONTRACT,
    date: dateText(e.day),
    created_at: formatInstant(e.createdAt),
  });
  const decoded = decodeMessage({
    key: Buffer.from(CONTRACT),
    value: Buffer.from(value),
    source: { transport: 'kafka', topic: 'late-events', partition: 0, offset: String(offset++) },
  });
  if (decoded.kind !== 'valid') throw new Error(`not a valid event: ${value}`);
  return decoded;
};

function peakRssMb(): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
}
/** Starts a new peak: the kernel sets VmHWM to the current RSS. */
function resetPeakRss(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

interface LateResult {
  id: string;
  ms: number;
  code: string;
  read: number;
  statements: number;
  revised: number;
  following: number;
}

const serverUrl = values['database-url'];
const database = `ces_late_${randomBytes(4).toString('hex')}`;
await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`));
const url = withDatabase(serverUrl, database);
const prisma = createPrismaClient(url, 2);
try {
  const busy = await cpuBusyShare();
  await applyMigrations(url);
  await createContractRepository(prisma).create({ contractNumber: CONTRACT, components: ['energy_supply'] });
  let read = 0;
  let statements = 0;
  const store = createDecisionStore(prisma);
  const counting: DecisionStore = {
    inTransaction: (work) =>
      store.inTransaction((tx) =>
        work({
          ...tx,
          statesBefore: (positions) => ((statements += 1), tx.statesBefore(positions)),
          componentHistory: async (positions, limit) => {
            statements += 1;
            const pages = await tx.componentHistory(positions, limit);
            for (const page of pages.values()) read += page.length;
            return pages;
          },
        }),
      ),
  };
  const decide = createBatchDecider({
    store: counting,
    clock: systemClock,
    auditEnabled: true,
    eventOrder: 'created_at',
  });

  let started = performance.now();
  for (let i = 0; i < HISTORY; i += CHUNK) await decide(history.slice(i, i + CHUNK).map(message));
  const fillSeconds = (performance.now() - started) / 1000;
  // What autovacuum would have done by now on a table this size.
  await withClient(url, (client) => client.query('VACUUM ANALYZE'));
  const fillPeak = peakRssMb();

  const decided = [...history];
  const decideLate = async (event: Event): Promise<LateResult> => {
    const following = decided.filter((e) => e.createdAt > event.createdAt).length;
    decided.push(event);
    read = 0;
    statements = 0;
    started = performance.now();
    const outcomes = await decide([message(event)]);
    const ms = performance.now() - started;
    return {
      id: event.id,
      ms,
      code: outcomes[0]!.message.code,
      read,
      statements,
      revised: outcomes.length - 1,
      following,
    };
  };
  resetPeakRss();
  const burst: LateResult[] = [];
  for (const event of late) burst.push(await decideLate(event));
  const burstPeak = peakRssMb();
  resetPeakRss();
  const worst = await decideLate(earliest);
  const worstPeak = peakRssMb();

  const mismatches = await checkAgainstOneFold(url, [...history, ...late, earliest]);

  const row = (r: LateResult) =>
    `${r.id.padEnd(14)} ${r.ms.toFixed(1).padStart(9)} ${String(r.following).padStart(9)} ${String(r.read).padStart(6)} ${String(r.statements).padStart(10)} ${String(r.revised).padStart(7)}  ${r.code}`;
  const sorted = burst.map((r) => r.ms).sort((a, b) => a - b);
  console.log(
    `late events against one component's history of ${HISTORY.toLocaleString('en')} decided events (EVENT_ORDER=created_at, Postgres ${database})`,
  );
  console.log(
    `heap limit ${(getHeapStatistics().heap_size_limit / 2 ** 20).toFixed(0)} MiB; CPUs busy before the run ${busy === null ? 'unknown' : `${Math.round(busy * 100)}%`}`,
  );
  console.log(
    `history decided in order in ${fillSeconds.toFixed(1)} s (${Math.round(HISTORY / fillSeconds)} events/s, chunks of ${CHUNK}); peak RSS so far ${fillPeak.toFixed(0)} MiB`,
  );
  console.log(
    `\n${'event'.padEnd(14)} ${'ms'.padStart(9)} ${'following'.padStart(9)} ${'read'.padStart(6)} ${'statements'.padStart(10)} ${'revised'.padStart(7)}  code`,
  );
  for (const r of burst) console.log(row(r));
  console.log(
    `\nburst of ${LATE}: p50 ${percentile(sorted, 50).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms; peak RSS ${burstPeak.toFixed(0)} MiB`,
  );
  console.log(row(worst));
  const perFollowing = worst.ms / Math.max(1, worst.read);
  console.log(
    `worst case (everything after it re-read): ${worst.ms.toFixed(0)} ms for ${worst.read.toLocaleString('en')} events read and ${worst.revised.toLocaleString('en')} revised; ` +
      `peak RSS ${worstPeak.toFixed(0)} MiB; at ${(perFollowing * 1000).toFixed(0)} µs per event read the 60 s transaction timeout is reached after about ${Math.round(60_000 / perFollowing).toLocaleString('en')} following events`,
  );
  console.log(
    mismatches === 0
      ? 'every decision and the state equal one fold of all events in created_at order'
      : `MISMATCH: ${mismatches} decisions or the state differ from one fold`,
  );
  if (mismatches > 0) process.exitCode = 1;
} finally {
  await prisma.$disconnect();
  await dropDatabase(serverUrl, database);
}

/** Folds every event once, in created_at order, and counts the stored decisions (and state) that differ. */
async function checkAgainstOneFold(databaseUrl: string, events: readonly Event[]): Promise<number> {
  const contract = { contractNumber: CONTRACT, components: ['energy_supply' as const], states: {} };
  const keyed = events.map((e) => ({
    key: { createdAt: e.createdAt, eventId: e.id },
    event: message(e).event,
    item: e.id,
  }));
  const { state, decided } = foldInOrder(contract, 'energy_supply', EMPTY_COMPONENT_STATE, keyed);
  return withClient(databaseUrl, async (client) => {
    const codes = new Map(
      (await client.query<{ event_id: string; code: string }>('SELECT event_id, code FROM processed_events')).rows.map(
        (r) => [r.event_id, r.code],
      ),
    );
    const stored = (
      await client.query<{ start: string | null; end: string | null }>(
        `SELECT to_char(start_date, 'YYYY-MM-DD') AS start, to_char(end_date, 'YYYY-MM-DD') AS end FROM component_states`,
      )
    ).rows[0];
    const wrong = decided.filter(({ item, decision }) => codes.get(item) !== decision.code).length;
    return wrong + (stored?.start === state.startDate && stored.end === state.endDate ? 0 : 1);
  });
}
