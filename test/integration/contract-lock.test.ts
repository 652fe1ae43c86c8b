import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/processing/clock.js';
import { createBatchDecider } from '../../src/processing/decide-batch.js';
import { decodeMessage } from '../../src/processing/decode-message.js';
import { createContractRepository } from '../../src/store/contracts.js';
import { createDecisionStore } from '../../src/store/decision-store.js';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { holdBeforeCommit } from '../support/held-store.js';

// Two writers of one contract (a Kafka batch and POST /events, or a batch and
// `npm run replay -- --repair`) are serialised by the contract's row lock. The
// one that waited must decide against what the other committed: Postgres reads
// a statement with the snapshot it started with, even after waiting for a lock.

let db: TestDatabase;
let prisma: PrismaClient;
let offset = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, 4);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const message = (fields: Record<string, string>) =>
  decodeMessage({
    key: Buffer.from(fields.contract_number!),
    value: Buffer.from(JSON.stringify(fields)),
    source: { transport: 'kafka', topic: 'contract-events', partition: 0, offset: String(offset++) },
  });

describe('a batch that waited for a contract lock', () => {
  it('decides against the state the lock holder committed', async () => {
    await createContractRepository(prisma).create({ contractNumber: 'X-1', components: ['energy_supply'] });
    const store = createDecisionStore(prisma);
    // The first batch has locked the contract and written its start, but not committed yet.
    const { store: holding, atCommit, release } = holdBeforeCommit(store);
    const first = createBatchDecider({ store: holding, clock: systemClock, auditEnabled: true })([
      message({
        event_id: 'x-start',
        type: 'supply_energy_start',
        contract_number: 'X-1',
        date: '2024-12-01',
        created_at: '2024-11-20T10:00:00Z',
      }),
    ]);
    await atCommit;
    const second = createBatchDecider({ store, clock: systemClock, auditEnabled: true })([
      message({
        event_id: 'x-end',
        type: 'supply_energy_end',
        contract_number: 'X-1',
        date: '2024-12-31',
        created_at: '2024-11-20T10:01:00Z',
      }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    release();
    expect((await first)[0]!.message.code).toBe('ACCEPTED');
    // Against the state before the start committed it would be END_WITHOUT_START.
    expect((await second)[0]!.message.code).toBe('ACCEPTED');
  });
});
