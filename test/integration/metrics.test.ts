import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../scripts/infra/wait.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  createContracts,
  mixedTraffic,
  startInProcessService,
  type InProcessService,
} from '../support/in-process-service.js';
import { parseExposition, type Exposition } from '../support/prometheus-text.js';

// Real traffic through Kafka, then a scrape of /metrics over HTTP, as Prometheus would.

let db: TestDatabase;
let running: InProcessService;
let scraped: Exposition;

const scrape = async () => {
  const { port } = running.service.http.server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  return parseExposition(await response.text());
};
const samples = (name: string) => scraped.samples.filter((sample) => sample.name === name);
const total = (name: string) => samples(name).reduce((sum, sample) => sum + sample.value, 0);

beforeAll(async () => {
  db = await createTestDatabase();
  await createContracts(db, [{ contractNumber: 'm-1', components: ['energy_supply'] }]);
  running = await startInProcessService(db, createLogger('silent'));
  const traffic = mixedTraffic('m-1');
  expect(await running.sendAndAwait(traffic)).toHaveLength(traffic.length);
  // Metrics are recorded once the offsets are committed, just after the outcomes are out.
  const deadline = Date.now() + 15_000;
  do {
    scraped = await scrape();
    if (total('contract_events_processed_total') >= traffic.length) break;
    await sleep(100);
  } while (Date.now() < deadline);
});
afterAll(async () => {
  await running?.service.stop();
  await db?.drop();
});

describe('GET /metrics after traffic', () => {
  it('counts events by status, code, type and duplicate', () => {
    const counted = samples('contract_events_processed_total').map(({ labels, value }) => ({ ...labels, value }));
    expect(counted).toEqual(
      expect.arrayContaining([
        { status: 'accepted', code: 'ACCEPTED', type: 'supply_energy_start', duplicate: 'false', value: 1 },
        { status: 'accepted', code: 'ACCEPTED', type: 'supply_energy_end', duplicate: 'false', value: 1 },
        { status: 'rejected', code: 'RESTART_AFTER_END', type: 'supply_energy_start', duplicate: 'false', value: 1 },
        { status: 'accepted', code: 'ACCEPTED', type: 'supply_energy_start', duplicate: 'true', value: 1 },
        {
          status: 'rejected',
          code: 'CONTRACT_NOT_FOUND',
          type: 'battery_optimization_start',
          duplicate: 'false',
          value: 1,
        },
        { status: 'error', code: 'INVALID_JSON', type: 'unknown', duplicate: 'false', value: 1 },
      ]),
    );
    expect(scraped.types.get('contract_events_processed_total')).toBe('counter');
  });

  it('has latency histograms for batch processing (by source) and database transactions', () => {
    expect(scraped.types.get('contract_events_processing_seconds')).toBe('histogram');
    expect(scraped.types.get('contract_events_db_transaction_seconds')).toBe('histogram');
    const buckets = samples('contract_events_processing_seconds_bucket').filter(
      (sample) => sample.labels.source === 'kafka',
    );
    expect(buckets.map((sample) => sample.labels.le)).toContain('+Inf');
    // How many batches and transactions the six messages took depends on how the broker hands them out.
    expect(
      samples('contract_events_processing_seconds_count').find((sample) => sample.labels.source === 'kafka')!.value,
    ).toBeGreaterThan(0);
    expect(total('contract_events_db_transaction_seconds_count')).toBeGreaterThan(0);
    expect(total('contract_events_db_transaction_seconds_sum')).toBeGreaterThan(0);
  });

  it('observes batch sizes that add up to the messages consumed', () => {
    expect(scraped.types.get('contract_events_batch_size')).toBe('histogram');
    expect(total('contract_events_batch_size_sum')).toBe(mixedTraffic('m-1').length);
  });

  it('reports consumer lag per topic and partition, zero once caught up', () => {
    expect(scraped.types.get('contract_events_consumer_lag')).toBe('gauge');
    const lag = samples('contract_events_consumer_lag');
    expect(lag.map((sample) => sample.labels.partition).sort()).toEqual(['0', '1']); // TOPIC_PARTITIONS: '2'
    for (const sample of lag) {
      expect(sample.labels).toEqual({ topic: running.config.EVENTS_TOPIC, partition: expect.stringMatching(/^\d+$/) });
      expect(sample.value).toBe(0);
    }
  });

  it('counts publish failures, database retries and rebalances', () => {
    for (const name of [
      'contract_events_outcome_publish_failures_total',
      'contract_events_database_retries_total',
      'contract_events_rebalances_total',
    ]) {
      expect(scraped.types.get(name), name).toBe('counter');
      expect(samples(name), name).toHaveLength(1);
    }
    expect(total('contract_events_outcome_publish_failures_total')).toBe(0);
    expect(total('contract_events_database_retries_total')).toBe(0);
    // One member joins, but the group may rebalance again while the topics it subscribed to are being created.
    expect(total('contract_events_rebalances_total')).toBeGreaterThanOrEqual(1);
  });

  it('includes the Node.js process defaults', () => {
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(samples(name), name).toHaveLength(1);
    }
  });

  it('names its own families by Prometheus conventions', () => {
    for (const [name, type] of scraped.types) {
      if (!name.startsWith('contract_events_')) continue;
      if (type === 'counter') expect(name, name).toMatch(/_total$/);
      else expect(name, name).not.toMatch(/_total$/);
      if (name.includes('seconds')) expect(name, name).toMatch(/_seconds$/);
    }
  });
});
