import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../../../src/observability/metrics.js';

// Docker is not available here, so the shipped monitoring is checked
// statically: every metric the dashboard queries exists, and the files point at each other.

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

interface Dashboard {
  uid: string;
  panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
}
const dashboard = JSON.parse(read('deploy/grafana/dashboards/contract-events-service.json')) as Dashboard;

// Histograms are queried through these series; the registry knows the family.
const HISTOGRAM_SERIES = /_(bucket|sum|count)$/;
const PROMQL_WORDS = new Set([
  'sum',
  'by',
  'rate',
  'increase',
  'histogram_quantile',
  'max',
  'min',
  'le',
  'job',
  'instance',
  'source',
  'status',
  'code',
  'type',
  'topic',
  'partition',
  'duplicate',
  'stage',
  'label_values',
]);

/** Metric names in a PromQL expression: identifiers that are neither functions, labels nor inside quotes. */
function metricNames(expr: string): string[] {
  const unquoted = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/(?<![\w:])\d[\d.]*(?:e[+-]?\d+)?/gi, ''); // number literals such as 0.95 or 1e9
  return [...unquoted.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .map(([name]) => name)
    .filter((name) => !PROMQL_WORDS.has(name));
}

describe('the Grafana dashboard', () => {
  it('queries only metrics the service registers, and covers every family of its own', async () => {
    const registered = new Map(
      (await createMetrics().registry.getMetricsAsJSON()).map((metric) => [metric.name, String(metric.type)]),
    );
    const queried = new Set(
      dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => metricNames(target.expr))),
    );
    for (const name of queried) {
      const family = HISTOGRAM_SERIES.test(name) && !registered.has(name) ? name.replace(HISTOGRAM_SERIES, '') : name;
      expect(registered.has(family), `${name} is not registered by createMetrics()`).toBe(true);
      if (family !== name) expect(registered.get(family), name).toBe('histogram');
    }
    const families = new Set(
      [...queried].map((name) => (registered.has(name) ? name : name.replace(HISTOGRAM_SERIES, ''))),
    );
    const own = [...registered.keys()].filter((name) => name.startsWith('contract_events_'));
    expect(own.filter((name) => !families.has(name))).toEqual([]);
  });

  it('uses the provisioned Prometheus datasource, which points at the compose Prometheus, which scrapes the service', () => {
    const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; url: string }[];
    };
    const [datasource] = datasources.datasources;
    expect(datasource).toMatchObject({ uid: 'prometheus', url: 'http://prometheus:9090' });
    expect(dashboard.panels.every((panel) => panel.datasource.uid === datasource!.uid)).toBe(true);

    const providers = parse(read('deploy/grafana/provisioning/dashboards/dashboards.yml')) as {
      providers: { options: { path: string } }[];
    };
    const compose = parse(read('docker-compose.yml')) as { services: Record<string, { volumes?: string[] }> };
    expect(compose.services.grafana!.volumes).toContain(
      `./deploy/grafana/dashboards:${providers.providers[0]!.options.path}:ro`,
    );
    expect(compose.services.prometheus!.volumes).toContain(
      './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
    expect(compose.services.prometheus!.volumes).toContain(
      './deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
    );

    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    expect(prometheus.rule_files).toEqual(['alerts.yml']);
    expect(prometheus.scrape_configs[0]).toMatchObject({
      job_name: 'contract-events-service',
      metrics_path: '/metrics',
      static_configs: [{ targets: ['service:8080'] }],
    });
  });
});
