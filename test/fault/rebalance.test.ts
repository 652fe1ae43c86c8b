import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { committedOffsetViolations } from '../support/fault/reconcile.js';
import {
  createScenario,
  groupPosition,
  waitForProgress,
  waitUntilConsumed,
  type Scenario,
} from '../support/fault/scenario.js';
import { generateWorkload } from '../support/fault/workload.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

// Three instances share one consumer group over six partitions while events
// stream in; one is killed and another started mid-stream, so partitions move
// twice while work goes on.

const workload = generateWorkload({ contracts: 400, events: 15_000, seed: 4, prefix: 'rebalance' });
let scenario: Scenario;
const instances: ServiceProcess[] = [];

beforeAll(async () => {
  scenario = await createScenario({ name: 'rebalance', brokers: inject('kafkaBrokers'), partitions: 6 });
  await scenario.createContracts(workload.contracts);
});
afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop('SIGKILL')));
  await scenario?.dispose();
});

describe('rebalance', () => {
  it('moves partitions between instances without losing or repeating an effect', async () => {
    const env = { ...scenario.env, BATCH_MAX_SIZE: '100', PARTITIONS_CONSUMED_CONCURRENTLY: '2' };
    instances.push(
      ...(await Promise.all([startServiceProcess(env), startServiceProcess(env), startServiceProcess(env)])),
    );
    const production = scenario.produce(workload.messages, 2_000);
    await waitForProgress(scenario, 3_000);

    await instances[0]!.stop('SIGKILL');
    const atKill = await groupPosition(scenario);
    instances.push(await startServiceProcess(env));
    console.log(
      `[rebalance] killed one of three instances at ${atKill} of ${workload.messages.length}+ messages committed; started a fourth`,
    );
    await production;

    await waitUntilConsumed(scenario);
    for (const instance of instances.slice(1)) expect(await instance.stop('SIGTERM')).toBe(0);
    expect(atKill).toBeLessThan(workload.messages.length / 2);

    const produced = await scenario.produced(workload.messages.length);
    const { violations } = await committedOffsetViolations({
      kafka: scenario.kafka,
      groupId: scenario.groupId,
      topic: scenario.eventsTopic,
      produced,
      databaseUrl: scenario.db.url,
    });
    expect(violations).toEqual([]);
    const result = await scenario.reconcile(workload.contracts, produced.length);
    expect(result.mismatches).toEqual([]);
  });
});
