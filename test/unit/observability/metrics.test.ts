import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/observability/metrics.js';
import { parseExposition } from '../../support/prometheus-text.js';

const scrape = async (metrics: ReturnType<typeof createMetrics>, name: string) =>
  parseExposition(await metrics.registry.metrics()).samples.filter((sample) => sample.name === name).map((sample) => sample.value);

describe('contract_events_ready', () => {
  it('is 0 until readiness is watched, then follows it at each scrape', async () => {
    const metrics = createMetrics();
    expect(await scrape(metrics, 'contract_events_ready')).toEqual([0]);
    let ready = true;
    metrics.watchReadiness(async () => ready);
    expect(await scrape(metrics, 'contract_events_ready')).toEqual([1]);
    ready = false;
    expect(await scrape(metrics, 'contract_events_ready')).toEqual([0]);
  });
});
