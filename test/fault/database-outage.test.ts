import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sleep } from '../../scripts/infra/wait.js';
import {
  createScenario,
  groupPosition,
  waitForProgress,
  waitUntilConsumed,
  type Scenario,
} from '../support/fault/scenario.js';
import { generateWorkload } from '../support/fault/workload.js';
import { startServiceProcess } from '../support/service-process.js';
import { parseExposition } from '../support/prometheus-text.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

// Postgres becomes unreachable mid-stream for 12 s (cut at a TCP proxy between
// the service and the database): the consumer stops advancing, retries with
// capped backoff, reports not-ready, logs once per attempt, and resumes.

const OUTAGE_MS = 12_000;
const RETRY_MAX_MS = 2_000;
const workload = generateWorkload({ contracts: 300, events: 12_000, seed: 2, prefix: 'outage' });
let scenario: Scenario;

/** The service's lag, as Prometheus would scrape it: in messages summed over its partitions, in seconds the largest. */
async function lagOf(baseUrl: string): Promise<{ messages: number; seconds: number }> {
  const { samples } = parseExposition(await (await fetch(`${baseUrl}/metrics`)).text());
  const values = (name: string) => samples.filter((sample) => sample.name === name).map((sample) => sample.value);
  return {
    messages: values('contract_events_consumer_lag').reduce((sum, value) => sum + value, 0),
    seconds: Math.max(0, ...values('contract_events_consumer_lag_seconds')),
  };
}
let proxy: TcpProxy;

beforeAll(async () => {
  scenario = await createScenario({ name: 'database-outage', brokers: inject('kafkaBrokers'), partitions: 4 });
  await scenario.createContracts(workload.contracts);
  const url = new URL(scenario.db.url);
  proxy = await startTcpProxy(url.hostname, Number(url.port));
});
afterAll(async () => {
  await proxy?.close();
  await scenario?.dispose();
});

describe('database outage', () => {
  it('stops advancing, reports not ready, retries with capped backoff and resumes by itself', async () => {
    const viaProxy = new URL(scenario.db.url);
    viaProxy.port = String(proxy.port);
    const service = await startServiceProcess({
      ...scenario.env,
      DATABASE_URL: viaProxy.toString(),
      BATCH_MAX_SIZE: '100',
      RETRY_MAX_MS: String(RETRY_MAX_MS),
      LAG_SAMPLE_INTERVAL_MS: '500',
    });
    // Events keep arriving during the outage, as they would from a live upstream.
    const production = scenario.produce(workload.messages, 1_500);
    await waitForProgress(scenario);

    proxy.cut();
    const cutAt = Date.now();
    const logLengthAtCut = service.output().length;
    await sleep(2_000);
    const committedEarly = await groupPosition(scenario);
    const readiness: number[] = [];
    const lags: number[] = [];
    const lagSeconds: { at: number; seconds: number }[] = [];
    while (Date.now() - cutAt < OUTAGE_MS) {
      readiness.push((await fetch(`${service.baseUrl}/health/ready`)).status);
      const lag = await lagOf(service.baseUrl);
      lags.push(lag.messages);
      lagSeconds.push({ at: Date.now(), seconds: lag.seconds });
      await sleep(1_000);
    }
    const committedLate = await groupPosition(scenario);
    proxy.restore();
    await production;

    await waitUntilConsumed(scenario);
    const ready = await fetch(`${service.baseUrl}/health/ready`);
    expect(await service.stop('SIGTERM')).toBe(0);

    expect(committedLate).toBe(committedEarly); // nothing advanced during the outage
    expect(readiness.length).toBeGreaterThanOrEqual(5);
    expect(readiness.every((status) => status === 503)).toBe(true);
    // The lag gauge keeps being sampled from the broker while the consumer is stuck, and it grows.
    console.log(`[database-outage] consumer lag during the outage: ${lags.join(', ')}`);
    expect(lags.at(-1)!).toBeGreaterThan(lags[1]!);
    // And the oldest waiting event ages with the clock (within the sampling interval).
    console.log(
      `[database-outage] consumer lag in seconds during the outage: ${lagSeconds.map((lag) => lag.seconds.toFixed(1)).join(', ')}`,
    );
    const [second, last] = [lagSeconds[1]!, lagSeconds.at(-1)!];
    expect(last.seconds - second.seconds).toBeGreaterThan((last.at - second.at) / 1000 - 1.5);
    expect(last.seconds).toBeGreaterThan(OUTAGE_MS / 1000 - 4);
    expect(ready.status).toBe(200);

    const retries = service
      .output()
      .slice(logLengthAtCut)
      .split('\n')
      .filter((line) => line.includes('deciding a batch failed; retrying'))
      .map(
        (line) =>
          JSON.parse(line) as { delayMs: number; attempt: number; partition: number; err?: { message?: string } },
      );
    const delays = retries.map((r) => r.delayMs);
    console.log(
      `[database-outage] ${retries.length} retry log lines during ${OUTAGE_MS / 1000} s; delays up to ${Math.max(...delays)} ms`,
    );
    expect(retries.length).toBeGreaterThan(3);
    expect(retries.length).toBeLessThan(80); // once per attempt, not a flood
    expect(retries.every((r) => typeof r.err?.message === 'string' && r.err.message.length > 0)).toBe(true);
    expect(Math.max(...delays)).toBeLessThanOrEqual(RETRY_MAX_MS);
    expect(Math.max(...retries.map((r) => r.attempt))).toBeGreaterThanOrEqual(4);

    const result = await scenario.reconcile(workload.contracts, workload.messages.length);
    expect(result.mismatches).toEqual([]);
  });
});
