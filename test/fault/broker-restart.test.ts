import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startKafka, type RunningKafka } from '../../scripts/infra/kafka.js';
import { getFreePorts, sleep } from '../../scripts/infra/wait.js';
import { createScenario, groupPosition, waitForProgress, waitUntilConsumed, type Scenario } from '../support/fault/scenario.js';
import { generateWorkload } from '../support/fault/workload.js';
import { startServiceProcess } from '../support/service-process.js';

// The Kafka broker restarts mid-stream (a broker of this test's own, so the
// rest of the suite is not disturbed); the service reconnects by itself.

const workload = generateWorkload({ contracts: 300, events: 30_000, seed: 3, prefix: 'broker' });
const dir = mkdtempSync(join(tmpdir(), 'broker-restart-'));
let ports: [number, number];
let kafka: RunningKafka;
let scenario: Scenario;
/** Set once the test passed; otherwise the broker's data, its log and the service's output stay for a post-mortem. */
let passed = false;

const startBroker = () => startKafka({ port: ports[0], controllerPort: ports[1], dataDir: join(dir, 'data'), logFile: join(dir, 'kafka.log') });

beforeAll(async () => {
  ports = (await getFreePorts(2)) as [number, number];
  kafka = await startBroker();
  scenario = await createScenario({ name: 'broker-restart', brokers: kafka.brokers, partitions: 4 });
  await scenario.createContracts(workload.contracts);
  await scenario.produce(workload.messages);
});
afterAll(async () => {
  await scenario?.dispose();
  await kafka?.stop();
  if (passed) rmSync(dir, { recursive: true, force: true });
  else console.log(`[broker-restart] kept for a post-mortem: ${dir} (broker data, kafka.log, service.log)`);
});

describe('broker restart', () => {
  it('reconnects without a restart of its own and loses nothing', async () => {
    const produced = await scenario.produced(workload.messages.length);
    const service = await startServiceProcess({ ...scenario.env, BATCH_MAX_SIZE: '100' });
    onTestFailed(() => writeFileSync(join(dir, 'service.log'), service.output()));
    await waitForProgress(scenario);

    // The broker dies mid-stream (kill -9, so nothing more gets done) and comes back on its own data.
    const beforeStop = await groupPosition(scenario);
    process.kill(kafka.pid, 'SIGKILL');
    const stoppedAt = Date.now();
    await sleep(3_000);
    const readyWhileDown = (await fetch(`${service.baseUrl}/health/ready`)).status;
    kafka = await startBroker();
    console.log(`[broker-restart] broker killed at ${beforeStop}+ of ${produced.length} committed, down for ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s`);
    expect(beforeStop).toBeLessThan(produced.length / 2);

    await waitUntilConsumed(scenario);
    const readyAfter = (await fetch(`${service.baseUrl}/health/ready`)).status;
    expect(await service.stop('SIGTERM')).toBe(0);
    console.log(`[broker-restart] readiness while down ${readyWhileDown}, after ${readyAfter}`);
    expect(readyWhileDown).toBe(503);
    expect(readyAfter).toBe(200);

    const result = await scenario.reconcile(workload.contracts, produced.length);
    expect(result.mismatches).toEqual([]);
    passed = true;
  });
});
