import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withClient } from '../support/database.js';
import { committedOffsetViolations } from '../support/fault/reconcile.js';
import { createScenario, waitForProgress, waitUntilConsumed, type Scenario } from '../support/fault/scenario.js';
import { generateWorkload } from '../support/fault/workload.js';
import { startServiceProcess } from '../support/service-process.js';

// SIGTERM while batches are in hand: the batch is finished and committed, the
// process exits 0 within 10 s, and after a restart nothing is redone.

const workload = generateWorkload({ contracts: 300, events: 10_000, seed: 5, prefix: 'graceful' });
let scenario: Scenario;

beforeAll(async () => {
  scenario = await createScenario({ name: 'graceful-stop', brokers: inject('kafkaBrokers'), partitions: 4 });
  await scenario.createContracts(workload.contracts);
  await scenario.produce(workload.messages);
});
afterAll(async () => scenario?.dispose());

describe('graceful stop', () => {
  it('commits the batch in hand, exits 0 within 10 s, and redoes nothing after a restart', async () => {
    const produced = await scenario.produced(workload.messages.length);
    const progress = () =>
      committedOffsetViolations({
        kafka: scenario.kafka,
        groupId: scenario.groupId,
        topic: scenario.eventsTopic,
        produced,
        databaseUrl: scenario.db.url,
      });
    const service = await startServiceProcess({ ...scenario.env, BATCH_MAX_SIZE: '500' });
    await waitForProgress(scenario);

    const stoppedAt = Date.now();
    const exitCode = await service.stop('SIGTERM');
    const stopSeconds = (Date.now() - stoppedAt) / 1000;
    const { committed, violations } = await progress();
    // Everything recorded was committed: no decided-but-uncommitted batch is left behind.
    const recorded = await withClient(scenario.db.url, async (client) =>
      Number((await client.query('SELECT count(*) FROM event_audit')).rows[0].count),
    );
    console.log(
      `[graceful-stop] exit ${exitCode} after ${stopSeconds.toFixed(1)} s with ${committed} of ${produced.length} committed, ${recorded} recorded`,
    );
    expect(exitCode).toBe(0);
    expect(stopSeconds).toBeLessThan(10);
    expect(violations).toEqual([]);
    expect(committed).toBeLessThan(produced.length);

    const restarted = await startServiceProcess(scenario.env);
    await waitUntilConsumed(scenario);
    expect(await restarted.stop('SIGTERM')).toBe(0);

    const result = await scenario.reconcile(workload.contracts, produced.length);
    expect(result.mismatches).toEqual([]);
    // The only duplicates are the events the workload itself sent twice.
    expect(result.duplicates).toBe(produced.length - result.distinctEventIds);
  });
});
