import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/observability/metrics.js';
import { parseExposition } from '../../support/prometheus-text.js';

const scrape = async (metrics: ReturnType<typeof createMetrics>, name: string) =>
  parseExposition(await metrics.registry.metrics())
    .samples.filter((sample) => sample.name === name)
    .map((sample) => sample.value);

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

describe('the series the alerts watch', () => {
  it('are exported at 0 before anything happens, so their first increment shows in increase()', async () => {
    const samples = parseExposition(await createMetrics().registry.metrics()).samples;
    const failed = samples.filter(
      (sample) => sample.name === 'contract_events_processed_total' && sample.labels.code === 'PROCESSING_FAILED',
    );
    expect(failed.map((sample) => sample.labels.type).sort()).toEqual([
      'battery_optimization_end',
      'battery_optimization_start',
      'heatpump_optimization_end',
      'heatpump_optimization_start',
      'supply_energy_end',
      'supply_energy_start',
    ]);
    expect(
      failed.every(
        (sample) => sample.value === 0 && sample.labels.status === 'error' && sample.labels.duplicate === 'false',
      ),
    ).toBe(true);
    const conflicts = samples.filter((sample) => sample.name === 'contract_events_event_id_conflicts_total');
    expect(conflicts).toEqual([
      { name: 'contract_events_event_id_conflicts_total', labels: { source: 'kafka' }, value: 0 },
      { name: 'contract_events_event_id_conflicts_total', labels: { source: 'http' }, value: 0 },
    ]);
  });
});
