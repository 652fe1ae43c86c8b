import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startKafka, type RunningKafka } from '../../scripts/infra/kafka.js';
import { getFreePorts, sleep } from '../../scripts/infra/wait.js';
import { partitionsOfTopic, skippedTransactionMarkers } from '../support/fault/broker-log.js';
import type { RepeatedOutcome } from '../support/fault/reconcile-core.js';
import {
  createScenario,
  groupPosition,
  waitForProgress,
  waitUntilConsumed,
  type Scenario,
} from '../support/fault/scenario.js';
import { generateWorkload } from '../support/fault/workload.js';
import { startServiceProcess } from '../support/service-process.js';

// The Kafka broker restarts mid-stream (a broker of this test's own, so the
// rest of the suite is not disturbed); the service reconnects by itself.

const workload = generateWorkload({ contracts: 300, events: 30_000, seed: 3, prefix: 'broker' });
const BATCH_MAX_SIZE = 100;
const dir = mkdtempSync(join(tmpdir(), 'broker-restart-'));
let ports: [number, number];
let kafka: RunningKafka;
let scenario: Scenario;
/** Set once the test passed; otherwise the broker's data, its log and the service's output stay for a post-mortem. */
let passed = false;

const startBroker = () =>
  startKafka({ port: ports[0], controllerPort: ports[1], dataDir: join(dir, 'data'), logFile: join(dir, 'kafka.log') });

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
    const service = await startServiceProcess({ ...scenario.env, BATCH_MAX_SIZE: String(BATCH_MAX_SIZE) });
    onTestFailed(() => writeFileSync(join(dir, 'service.log'), service.output()));
    await waitForProgress(scenario);

    // The broker dies mid-stream (kill -9, so nothing more gets done) and comes back on its own data.
    const beforeStop = await groupPosition(scenario);
    process.kill(kafka.pid, 'SIGKILL');
    const stoppedAt = Date.now();
    await sleep(3_000);
    const readyWhileDown = (await fetch(`${service.baseUrl}/health/ready`)).status;
    kafka = await startBroker();
    console.log(
      `[broker-restart] broker killed at ${beforeStop}+ of ${produced.length} committed, down for ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s`,
    );
    expect(beforeStop).toBeLessThan(produced.length / 2);

    await waitUntilConsumed(scenario);
    const readyAfter = (await fetch(`${service.baseUrl}/health/ready`)).status;
    expect(await service.stop('SIGTERM')).toBe(0);
    console.log(`[broker-restart] readiness while down ${readyWhileDown}, after ${readyAfter}`);
    expect(readyWhileDown).toBe(503);
    expect(readyAfter).toBe(200);

    const result = await scenario.reconcile(workload.contracts, produced.length);
    // Exactly once, except where the broker's own log says it dropped a
    // transaction's markers (test/support/fault/broker-log.ts): that chunk's
    // outcomes may show twice, identical, on the outcome partitions named, at
    // most one chunk per such transaction. Nothing else may differ.
    const skipped = skippedTransactionMarkers(readFileSync(join(dir, 'kafka.log'), 'utf8'))
      .map(({ partitions }) => partitionsOfTopic(partitions, scenario.outcomesTopic))
      .filter((partitions) => partitions.length > 0);
    const skippedPartitions = new Set(skipped.flat());
    const explained = ({ copies }: RepeatedOutcome) =>
      copies.length === 2 &&
      copies.every((copy) => copy.partition !== undefined && skippedPartitions.has(copy.partition));
    if (skipped.length > 0) {
      console.log(
        `[broker-restart] the restarted broker skipped the transaction markers of ${skipped.length} transaction(s) on outcome partition(s) ` +
          `${[...skippedPartitions].join(', ')}; ${result.repeated.length} message(s) answered twice there`,
      );
    }
    expect(
      Object.keys(result.mismatchKinds).filter((kind) => kind !== 'extra outcome' || skipped.length === 0),
    ).toEqual([]);
    expect(result.repeated.filter((repeat) => !explained(repeat))).toEqual([]);
    expect(result.repeated.length).toBeLessThanOrEqual(BATCH_MAX_SIZE * skipped.length);
    passed = true;
  });
});
