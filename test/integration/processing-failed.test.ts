import { DatabaseError, failureKind } from '../../src/errors.js';
import { retryUntilDone } from '../../src/kafka/backoff.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider } from '../../src/processing/decide-batch.js';
import { decideIsolatingFailures, type IsolationOptions } from '../../src/processing/decide-isolating-failures.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import type { DecisionStore } from '../../src/processing/ports.js';
import { createFailureRecorder } from '../../src/processing/record-failure.js';
import { createContractRepository } from '../../src/store/contracts.js';
import { isDatabaseUnavailable, storeFailure } from '../../src/store/database-failure.js';
import { decoratedStore } from '../support/decorated-store.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { Prisma } from '../../src/generated/prisma/client.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';
import { buildStubHttpApp } from '../support/stub-http-app.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

// A poisonous event (one that fails the same way on every attempt) is given up
// as PROCESSING_FAILED after a bounded number of attempts, audited, and the
// events around it are decided as usual.

let db: TestDatabase;
let prisma: PrismaClient;
let options: IsolationOptions;
let offset = 0;
const unrecorded: string[] = [];
const permanentFailures: (string | null)[] = [];

const message = (date: string, minute: number, type = 'supply_energy_start') => {
  const value = JSON.stringify({
    type,
    contract_number: 'p-1',
    date,
    created_at: `2024-01-01T00:${String(minute).padStart(2, '0')}:00Z`,
  });
  return decodeMessage({
    key: Buffer.from('p-1'),
    value: Buffer.from(value),
    source: { transport: 'kafka' as const, topic: 't', partition: 0, offset: String(offset++) },
  });
};
const sql = (text: string) => withClient(db.url, (client) => client.query(text));

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, 2);
  const store = createDecisionStore(prisma);
  options = {
    decideBatch: createBatchDecider({ store, clock: systemClock, auditEnabled: true }),
    recordFailure: createFailureRecorder({
      store,
      clock: systemClock,
      auditEnabled: true,
      onUnrecorded: (decoded) => unrecorded.push(decoded.eventId),
    }),
    retryTransient: (work) => work(),
    maxAttempts: 3,
    onPermanentFailure: (decoded) => permanentFailures.push(decoded?.eventId ?? null),
  };
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});
beforeEach(async () => {
  await sql('TRUNCATE contracts, component_states, processed_events, event_audit, event_revisions');
  await createContractRepository(prisma).create({
    contractNumber: 'p-1',
    components: ['energy_supply', 'battery_optimization'],
  });
  unrecorded.length = 0;
  permanentFailures.length = 0;
});

describe('an event that fails permanently', () => {
  it('is given up as PROCESSING_FAILED after the attempts, and the rest of the batch goes on', async () => {
    // A rule the service does not know about: no start dates in 2099.
    await sql(`ALTER TABLE component_states ADD CONSTRAINT no_2099 CHECK (start_date < '2099-01-01')`);
    try {
      const batch = [
        message('2024-01-01', 1),
        message('2099-06-01', 2),
        message('2024-02-01', 3, 'battery_optimization_start'),
      ];
      const outcomes = await decideIsolatingFailures(batch, options);
      expect(outcomes.map((o) => o.message.code)).toEqual(['ACCEPTED', 'PROCESSING_FAILED', 'ACCEPTED']);
      const failed = outcomes[1]!.message;
      expect(failed).toMatchObject({
        status: 'error',
        event: { date: '2099-06-01' },
        error: { code: 'PROCESSING_FAILED', details: { sqlstate: '23514' } },
      });
      expect(failed.message).toContain('after 3 attempts');
      expect(failed.message).toContain('no_2099');
      // One failure of the whole batch, then three of the poisonous event alone.
      expect(permanentFailures).toEqual([null, batch[1]!.eventId, batch[1]!.eventId, batch[1]!.eventId]);
      const audit = await sql(
        'SELECT code, status::text, contract_id IS NOT NULL AS linked, component_type::text AS component FROM event_audit ORDER BY id',
      );
      expect(audit.rows.map((row) => row.code)).toEqual(['ACCEPTED', 'PROCESSING_FAILED', 'ACCEPTED']);
      // The failure is audited against its contract, so GET /contracts/{n}/events shows it.
      expect(audit.rows[1]).toMatchObject({ linked: true, component: 'energy_supply' });
      const state = await sql(
        `SELECT component_type::text, to_char(start_date, 'YYYY-MM-DD') AS start FROM component_states ORDER BY 1 DESC`,
      );
      expect(state.rows).toEqual([
        { component_type: 'energy_supply', start: '2024-01-01' },
        { component_type: 'battery_optimization', start: '2024-02-01' },
      ]);
      // Redelivered, it is answered from the ledger exactly as the first time, without new attempts.
      const [again] = await decideIsolatingFailures([batch[1]!], options);
      expect(again!.message).toEqual(failed);
      expect(permanentFailures).toHaveLength(4);
    } finally {
      await sql('ALTER TABLE component_states DROP CONSTRAINT no_2099');
    }
  });

  it('is kept in the ledger only when the audit itself refuses it, and published all the same', async () => {
    await sql(`ALTER TABLE event_audit ADD CONSTRAINT no_2099 CHECK (event_date < '2099-01-01')`);
    try {
      const poisonous = message('2099-06-01', 2);
      const outcomes = await decideIsolatingFailures([message('2024-01-01', 1), poisonous], options);
      expect(outcomes.map((o) => o.message.code)).toEqual(['ACCEPTED', 'PROCESSING_FAILED']);
      expect(unrecorded).toEqual([poisonous.eventId]);
      expect((await sql('SELECT code FROM processed_events ORDER BY code')).rows.map((r) => r.code)).toEqual([
        'ACCEPTED',
        'PROCESSING_FAILED',
      ]);
      expect((await sql('SELECT count(*)::int AS n FROM event_audit')).rows[0].n).toBe(1);
    } finally {
      await sql('ALTER TABLE event_audit DROP CONSTRAINT no_2099');
    }
  });

  it('retries transient failures without giving anything up', async () => {
    let calls = 0;
    const flaky: IsolationOptions = {
      ...options,
      retryTransient: async (work) => {
        for (;;) {
          try {
            return await work();
          } catch (error) {
            if (failureKind(error) !== 'retriable') throw error;
          }
        }
      },
      decideBatch: (messages) => {
        calls += 1;
        return calls < 3
          ? Promise.reject(new DatabaseError('connection reset', '08006', 'retriable'))
          : options.decideBatch(messages);
      },
    };
    const outcomes = await decideIsolatingFailures([message('2024-01-01', 1)], flaky);
    expect(outcomes.map((o) => o.message.code)).toEqual(['ACCEPTED']);
    expect(permanentFailures).toEqual([]);
  });
  it('stays failed in EVENT_ORDER=created_at: later events of its component, earlier or later in created_at, never fold or revise it', async () => {
    const store = createDecisionStore(prisma);
    const inCreatedAtOrder: IsolationOptions = {
      ...options,
      decideBatch: createBatchDecider({ store, clock: systemClock, auditEnabled: true, eventOrder: 'created_at' }),
    };
    const send = async (type: string, date: string, minute: number) => {
      const decoded = message(date, minute, type);
      return { id: decoded.eventId, outcomes: await decideIsolatingFailures([decoded], inCreatedAtOrder) };
    };
    const ledger = async (eventId: string) =>
      (
        await sql(
          `SELECT status::text, code, message, error, processed_at, revision, fingerprint FROM processed_events WHERE event_id = '${eventId}'`,
        )
      ).rows[0];
    const revisions = async () =>
      (await sql('SELECT event_id, revision, previous_code, code, caused_by FROM event_revisions ORDER BY id')).rows;
    const energySupply = async () =>
      (
        await sql(`SELECT to_char(start_date, 'YYYY-MM-DD') AS start, to_char(end_date, 'YYYY-MM-DD') AS "end", to_char(end_event_created_at AT TIME ZONE 'UTC', 'HH24:MI') AS end_created
                   FROM component_states WHERE component_type = 'energy_supply'`)
      ).rows;

    // An end before any start, then the start created before it: the end is revised to ACCEPTED.
    const end = await send('supply_energy_end', '2024-06-01', 20);
    const start = await send('supply_energy_start', '2024-01-01', 10);
    expect([end, start].map(({ outcomes }) => outcomes.map((o) => o.message.code))).toEqual([
      ['END_WITHOUT_START'],
      ['ACCEPTED', 'ACCEPTED'],
    ]);
    const revisedBefore = [
      { event_id: end.id, revision: 1, previous_code: 'END_WITHOUT_START', code: 'ACCEPTED', caused_by: start.id },
    ];
    expect(await revisions()).toEqual(revisedBefore);

    // A later end the database refuses (a rule it has and the service does not): given up.
    await sql(`ALTER TABLE component_states ADD CONSTRAINT no_2099 CHECK (end_date < '2099-01-01')`);
    let failed: Awaited<ReturnType<typeof send>>;
    try {
      failed = await send('supply_energy_end', '2099-06-01', 30);
    } finally {
      await sql('ALTER TABLE component_states DROP CONSTRAINT no_2099');
    }
    expect(failed.outcomes.map((o) => o.message.code)).toEqual(['PROCESSING_FAILED']);
    const failedEntry = await ledger(failed.id);
    expect(failedEntry).toMatchObject({ status: 'error', code: 'PROCESSING_FAILED', revision: 0 });
    const entriesBefore = { start: await ledger(start.id), end: await ledger(end.id) };

    // The cause is gone. An event created before everything re-folds the component: the failed end is not part of it.
    const earlier = await send('supply_energy_start', '2023-12-01', 5);
    expect(earlier.outcomes.map((o) => o.message.code)).toEqual(['ACCEPTED']);
    expect(await energySupply()).toEqual([{ start: '2024-01-01', end: '2024-06-01', end_created: '00:20' }]);
    // One created after the failed event continues from the state it never touched.
    const later = await send('supply_energy_end', '2024-07-01', 40);
    expect(later.outcomes.map((o) => o.message.code)).toEqual(['ACCEPTED']);
    expect(await energySupply()).toEqual([{ start: '2024-01-01', end: '2024-07-01', end_created: '00:40' }]);

    expect(await ledger(failed.id)).toEqual(failedEntry);
    expect({ start: await ledger(start.id), end: await ledger(end.id) }).toEqual(entriesBefore);
    expect(await revisions()).toEqual(revisedBefore);
  });
});

/** A Prisma client of one connection to the test database through a TCP proxy `work` may cut. */
async function viaCutProxy(work: (proxied: PrismaClient, proxy: TcpProxy) => Promise<void>): Promise<void> {
  const target = new URL(db.url);
  const proxy = await startTcpProxy(target.hostname, Number(target.port));
  const viaProxy = new URL(db.url);
  viaProxy.port = String(proxy.port);
  const proxied = createPrismaClient(viaProxy.toString(), 1);
  try {
    await work(proxied, proxy);
  } finally {
    await proxied.$disconnect().catch(() => undefined);
    await proxy.close();
  }
}

describe('a bug in the code that runs inside a transaction', () => {
  const bug = () => new TypeError("Cannot read properties of undefined (reading 'start')");

  /** The real store, whose transactions fail between their queries once they locked contract p-1, as a bug in a rule would. */
  const buggyStore = (): DecisionStore => {
    const store = createDecisionStore(prisma);
    return decoratedStore(store, (tx) => ({
      lockContracts: async (numbers) => {
        const locked = await tx.lockContracts(numbers);
        if (numbers.includes('p-1')) throw bug();
        return locked;
      },
    }));
  };

  it('comes out of the store as it is, not as a database failure to retry forever', async () => {
    const failure: unknown = await buggyStore()
      .inTransaction((tx) => tx.lockContracts(['p-1']))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect(failureKind(failure)).toBe('unclassified');
  });

  it('is told from a connection lost between the queries, which stays a retriable database failure', async () => {
    await viaCutProxy(async (proxied, proxy) => {
      const failure: unknown = await createDecisionStore(proxied)
        .inTransaction(async (tx) => {
          await tx.findDecisions(['before']);
          proxy.cut(); // node-postgres: a plain Error, "Connection terminated unexpectedly"
          return tx.findDecisions(['after']);
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DatabaseError);
      expect(failureKind(failure)).toBe('retriable');
    });
  });

  it('gives the event up as PROCESSING_FAILED after the bounded attempts, audited', async () => {
    const deadline = Date.now() + 10_000;
    const bounded: IsolationOptions = {
      ...options,
      decideBatch: createBatchDecider({ store: buggyStore(), clock: systemClock, auditEnabled: true }),
      // The consumer's retry: outages without limit (here: until the deadline), anything unclassified three times.
      retryTransient: (work) =>
        retryUntilDone(work, {
          initialMs: 1,
          maxMs: 2,
          shouldContinue: () => Date.now() < deadline,
          keepAlive: async () => undefined,
          onFailure: () => undefined,
          unexpectedAttempts: 3,
        }),
    };
    const [outcome] = await decideIsolatingFailures([message('2024-01-01', 1)], bounded);
    expect(outcome!.message).toMatchObject({
      status: 'error',
      code: 'PROCESSING_FAILED',
      error: { details: { sqlstate: null } },
    });
    expect(outcome!.message.message).toBe(
      "The event could not be processed after 3 attempts: unexpected TypeError: Cannot read properties of undefined (reading 'start')",
    );
    expect(permanentFailures).toHaveLength(2); // the batch, then the event alone: each retried three times inside
    expect(permanentFailures.every((id) => id === null || id === outcome!.message.event_id)).toBe(true);
    expect((await sql('SELECT code FROM event_audit')).rows).toEqual([{ code: 'PROCESSING_FAILED' }]);
    expect((await sql('SELECT count(*)::int AS n FROM component_states')).rows[0].n).toBe(0);
  });

  it('is answered 500 over HTTP, where the caller retries', async () => {
    const app = await buildStubHttpApp({
      decideBatch: createBatchDecider({ store: buggyStore(), clock: systemClock, auditEnabled: true }),
    });
    try {
      const event = {
        type: 'supply_energy_start',
        contract_number: 'p-1',
        date: '2024-01-01',
        created_at: '2024-01-01T00:00:00Z',
        event_id: 'http-bug',
      };
      const response = await app.inject({ method: 'POST', url: '/events', payload: event });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ code: 'INTERNAL_ERROR', message: 'An unexpected error occurred.' });
      expect((await sql(`SELECT count(*)::int AS n FROM processed_events WHERE event_id = 'http-bug'`)).rows[0].n).toBe(
        0,
      );
    } finally {
      await app.close();
    }
  });
});

describe('what Prisma really throws', () => {
  it('for a bug in our arguments or a column type the adapter cannot read is unclassified, not an outage to wait out', async () => {
    const invalid = await (prisma.contract.findMany as (args: unknown) => Promise<unknown>)({
      where: { nope: 1 },
    }).catch((error: unknown) => error);
    const unreadable = await prisma.$queryRaw`SELECT 'a'::tsvector AS words`.catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(Prisma.PrismaClientValidationError);
    expect(unreadable).toMatchObject({
      meta: { driverAdapterError: { cause: { kind: 'UnsupportedNativeDataType' } } },
    });
    for (const error of [invalid, unreadable]) {
      expect(failureKind(storeFailure(error))).toBe('unclassified');
      expect(isDatabaseUnavailable(error)).toBe(false);
    }
  });

  it("for a connection lost in the middle of an HTTP request's transaction is answered 503, as an outage", async () => {
    await viaCutProxy(async (proxied, proxy) => {
      const store = createDecisionStore(proxied);
      const cutAfterLocking = decoratedStore(store, (tx) => ({
        lockContracts: async (numbers) => {
          const locked = await tx.lockContracts(numbers);
          proxy.cut();
          return locked;
        },
      }));
      const app = await buildStubHttpApp({
        decideBatch: createBatchDecider({ store: cutAfterLocking, clock: systemClock, auditEnabled: true }),
      });
      try {
        const event = {
          type: 'supply_energy_start',
          contract_number: 'p-1',
          date: '2024-01-01',
          created_at: '2024-01-01T00:00:00Z',
          event_id: 'http-cut',
        };
        const response = await app.inject({ method: 'POST', url: '/events', payload: event });
        expect(response.statusCode).toBe(503);
        expect(response.json()).toEqual({
          code: 'SERVICE_UNAVAILABLE',
          message: 'The database is unavailable or busy; retry later.',
        });
        expect(response.headers['retry-after']).toBe('5');
      } finally {
        await app.close();
      }
    });
    expect((await sql(`SELECT count(*)::int AS n FROM processed_events WHERE event_id = 'http-cut'`)).rows[0].n).toBe(
      0,
    );
  });
});
