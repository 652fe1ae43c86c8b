import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failureKind } from '../../src/errors.js';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider } from '../../src/processing/decide-batch.js';
import { decideIsolatingFailures, type IsolationOptions } from '../../src/processing/decide-isolating-failures.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import { createFailureRecorder } from '../../src/processing/record-failure.js';
import { createContractRepository } from '../../src/store/contracts.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import type { SourcePosition } from '../../src/schemas/outcome.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';

// A data exception (SQLSTATE class 22) raised by Postgres itself while an
// event is decided fails the same way on every attempt. It must be given up
// as PROCESSING_FAILED after the bounded attempts, never retried as if the
// database were merely unavailable (which would block the partition forever),
// and the events around it are decided as usual.

/** Transient retries allowed before the test calls it "retried forever". */
const TRANSIENT_RETRY_LIMIT = 5;

/**
 * The only place that knows how decideIsolatingFailures is wired: the real
 * store, and a retry of transient failures that is bounded, so a failure
 * wrongly taken as transient shows up as an error instead of a hang.
 */
function isolationOptions(prisma: PrismaClient, seen: { transientRetries: number }): IsolationOptions {
  const store = createDecisionStore(prisma);
  return {
    decideBatch: createBatchDecider({ store, clock: systemClock, auditEnabled: true }),
    recordFailure: createFailureRecorder({ store, clock: systemClock, auditEnabled: true, onUnrecorded: () => {} }),
    retryTransient: async (work) => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await work();
        } catch (error) {
          if (failureKind(error) !== 'retriable') throw error;
          if (attempt > TRANSIENT_RETRY_LIMIT)
            throw new Error(`Still failing after ${attempt} transient retries; it would be retried forever.`, {
              cause: error,
            });
          seen.transientRetries += 1;
        }
      }
    },
    maxAttempts: 3,
    onPermanentFailure: () => {},
  };
}

const CONTRACT = 'data-22';
let db: TestDatabase;
let prisma: PrismaClient;
let offset = 0;
const seen = { transientRetries: 0 };
let options: IsolationOptions;

/** A position in the events topic (built apart from the literal so an added field needs one change here). */
function kafkaSource(offset: number): SourcePosition {
  const position = { transport: 'kafka', topic: 'contract-events', partition: 0, offset: String(offset) } as const;
  return position;
}

const message = (type: string, date: string, minute: number) => {
  const value = JSON.stringify({
    type,
    contract_number: CONTRACT,
    date,
    created_at: `2024-01-01T00:${String(minute).padStart(2, '0')}:00Z`,
  });
  return decodeMessage({ key: Buffer.from(CONTRACT), value: Buffer.from(value), source: kafkaSource(offset++) });
};
const sql = (text: string) => withClient(db.url, async (client) => (await client.query(text)).rows);

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, 2);
  options = isolationOptions(prisma, seen);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});
beforeEach(async () => {
  await sql('TRUNCATE contracts, component_states, processed_events, event_audit');
  await createContractRepository(prisma).create({
    contractNumber: CONTRACT,
    components: ['energy_supply', 'battery_optimization'],
  });
  seen.transientRetries = 0;
});

// Test-only triggers: the data exception comes from Postgres, for one start date only.
const triggers = [
  {
    name: 'a division by zero (22012)',
    sqlstate: '22012',
    reason: 'division by zero',
    body: `IF NEW.start_date = '2099-06-01' THEN PERFORM 1 / (extract(year FROM NEW.start_date)::int - 2099); END IF; RETURN NEW;`,
  },
  {
    name: 'an invalid parameter value raised by a trigger (22023)',
    sqlstate: '22023',
    reason: 'start dates in 2099 are refused',
    body: `IF NEW.start_date = '2099-06-01' THEN RAISE EXCEPTION 'start dates in 2099 are refused' USING ERRCODE = '22023'; END IF; RETURN NEW;`,
  },
  {
    name: 'a numeric value out of range (22003), which the Prisma adapter maps to ValueOutOfRange',
    sqlstate: '22003',
    reason: 'out of range',
    body: `IF NEW.start_date = '2099-06-01' THEN PERFORM 2147483647 + (extract(year FROM NEW.start_date)::int - 2098); END IF; RETURN NEW;`,
  },
];

describe('a data exception (SQLSTATE class 22) raised by the database while deciding', () => {
  it.each(triggers)(
    'is given up as PROCESSING_FAILED, not retried as transient, and the rest is decided: $name',
    async ({ sqlstate, reason, body }) => {
      await sql(`CREATE FUNCTION refuse_2099() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body} END $$`);
      await sql(
        'CREATE TRIGGER refuse_2099 BEFORE INSERT OR UPDATE ON component_states FOR EACH ROW EXECUTE FUNCTION refuse_2099()',
      );
      try {
        const batch = [
          message('supply_energy_start', '2024-01-01', 1),
          message('battery_optimization_start', '2099-06-01', 2),
          message('supply_energy_end', '2024-12-31', 3),
        ];
        const outcomes = await decideIsolatingFailures(batch, options);

        expect(outcomes.map((o) => o.message.code)).toEqual(['ACCEPTED', 'PROCESSING_FAILED', 'ACCEPTED']);
        const failed = outcomes[1]!.message;
        expect(failed).toMatchObject({
          event_id: batch[1]!.eventId,
          status: 'error',
          duplicate: false,
          event: { type: 'battery_optimization_start', date: '2099-06-01' },
          error: { code: 'PROCESSING_FAILED', details: { sqlstate } },
        });
        expect(JSON.stringify(failed.error)).toContain(reason);
        expect(seen.transientRetries).toBe(0);

        // Recorded once each, the failure included, so a redelivery is answered from the ledger.
        expect((await sql('SELECT code FROM processed_events ORDER BY code')).map((row) => row.code)).toEqual([
          'ACCEPTED',
          'ACCEPTED',
          'PROCESSING_FAILED',
        ]);
        expect((await sql('SELECT code FROM event_audit ORDER BY id')).map((row) => row.code)).toEqual([
          'ACCEPTED',
          'PROCESSING_FAILED',
          'ACCEPTED',
        ]);
        const state = await sql(
          `SELECT component_type::text AS component, to_char(start_date, 'YYYY-MM-DD') AS start, to_char(end_date, 'YYYY-MM-DD') AS end FROM component_states ORDER BY 1`,
        );
        expect(state).toEqual([{ component: 'energy_supply', start: '2024-01-01', end: '2024-12-31' }]);
      } finally {
        await sql('DROP TRIGGER IF EXISTS refuse_2099 ON component_states');
        await sql('DROP FUNCTION IF EXISTS refuse_2099()');
      }
    },
  );
});
