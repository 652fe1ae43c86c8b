import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sleep, waitFor } from '../../scripts/infra/wait.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, withClient, type TestDatabase } from '../support/database.js';
import {
  createContracts,
  mixedTraffic,
  startInProcessService,
  type InProcessService,
} from '../support/in-process-service.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus-server.js';

// The shipped Grafana dashboard and alert rules, against a real Prometheus
// scraping the service after real Kafka traffic: every panel query and every
// alert expression parses, and returns series. The traffic includes what the
// labelled series need (a conflict, a permanent failure, a revised decision),
// and the two alerts that fire on a single occurrence do fire.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const JOB = 'contract-events-service';
/** What Grafana puts for $__rate_interval with a 1 s scrape interval is 4 s; a wider window keeps the check unhurried. */
const RATE_INTERVAL = '1m';

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { name: string; definition: string; current: { value: string } }[] };
}
const dashboard = JSON.parse(
  readFileSync(`${ROOT}deploy/grafana/dashboards/contract-events-service.json`, 'utf8'),
) as Dashboard;
const rules = (
  parse(readFileSync(`${ROOT}deploy/prometheus/alerts.yml`, 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  }
).groups.flatMap((group) => group.rules);

/** The dashboard's queries as Grafana sends them, with its variables filled in. */
const panelQuery = (expr: string) => expr.replaceAll('$job', JOB).replaceAll('$__rate_interval', RATE_INTERVAL);
/** The vector selectors of an alert expression: every one in the shipped rules names its job. */
const selectorsOf = (expr: string) => [...expr.matchAll(/[a-zA-Z_:][\w:]*\{[^}]*\}/g)].map(([selector]) => selector);

let db: TestDatabase;
let running: InProcessService;
let prometheus: PrometheusServer;
let published = 0;

const event = (contract: string, type: string, date: string, createdAt: string, eventId: string) =>
  JSON.stringify({ type, contract_number: contract, date, created_at: createdAt, event_id: eventId });

/** Sends lines and waits for their outcomes (and for those of the decisions they revise). */
async function send(lines: string[], revisions = 0): Promise<void> {
  published += lines.length + revisions;
  expect(await running.sendAndAwait(lines)).toHaveLength(published);
}

beforeAll(async () => {
  db = await createTestDatabase();
  await createContracts(db, [
    { contractNumber: 'pd-1', components: ['energy_supply', 'battery_optimization'] },
    { contractNumber: 'pd-2', components: ['energy_supply'] },
  ]);
  // A rule the service does not know about makes one event fail the same way on every attempt.
  await withClient(db.url, (client) =>
    client.query(`ALTER TABLE component_states ADD CONSTRAINT no_2099 CHECK (start_date < '2099-01-01')`),
  );
  running = await startInProcessService(db, createLogger('silent'), {
    EVENT_ORDER: 'created_at',
    RETRY_INITIAL_MS: '10',
  });
  const { port } = running.service.http.server.address() as AddressInfo;
  prometheus = await startPrometheus({
    job: JOB,
    targets: [`127.0.0.1:${port}`],
    ruleFile: `${ROOT}deploy/prometheus/alerts.yml`,
  });

  await send(mixedTraffic('pd-1'));
  await send([
    // The id of pd-1's first event, with other content.
    event('pd-1', 'supply_energy_start', '2025-01-01', '2024-11-21T10:00:00Z', 'pd-1-1'),
    event('pd-1', 'battery_optimization_start', '2099-06-01', '2024-11-21T10:01:00Z', 'pd-1-2099'),
    // An end before its start has arrived: rejected, then revised when the earlier start comes.
    event('pd-2', 'supply_energy_end', '2024-12-31', '2024-11-20T10:01:00Z', 'pd-2-end'),
  ]);
  await send([event('pd-2', 'supply_energy_start', '2024-12-01', '2024-11-20T10:00:00Z', 'pd-2-start')], 1);

  // Every decision counted in Prometheus (a revision is counted apart), then a few more scrapes so each series has a rate.
  await waitFor(
    'the counts in Prometheus',
    async () =>
      Number((await prometheus.query(`sum(contract_events_processed_total{job="${JOB}"})`))[0]?.value[1] ?? 0) >=
      published - 1,
    { timeoutMs: 30_000 },
  );
  await sleep(3_000);
}, 300_000);

afterAll(async () => {
  await prometheus?.stop();
  await running?.service.stop();
  await db?.drop();
});

describe('a real Prometheus scraping the service after real traffic', () => {
  it('scrapes it, and has loaded and evaluated every alert rule without error', async () => {
    const { activeTargets } = await prometheus.api<{
      activeTargets: { labels: { job: string }; health: string; lastError: string }[];
    }>('/api/v1/targets');
    expect(activeTargets.map(({ labels, health, lastError }) => ({ job: labels.job, health, lastError }))).toEqual([
      { job: JOB, health: 'up', lastError: '' },
    ]);
    const { groups } = await prometheus.api<{
      groups: { rules: { name: string; health: string; lastError?: string }[] }[];
    }>('/api/v1/rules');
    const loaded = groups.flatMap((group) => group.rules);
    expect(loaded.map((rule) => rule.name).sort()).toEqual(rules.map((rule) => rule.alert).sort());
    for (const rule of loaded)
      expect({ name: rule.name, health: rule.health, error: rule.lastError ?? '' }).toEqual({
        name: rule.name,
        health: 'ok',
        error: '',
      });
  });

  it('answers every panel query of the Grafana dashboard with series', async () => {
    const queries = dashboard.panels.flatMap((panel) =>
      panel.targets.map((target) => ({ panel: panel.title, expr: panelQuery(target.expr) })),
    );
    expect(queries.length).toBeGreaterThan(15);
    for (const { panel, expr } of queries) {
      const series = await prometheus.query(expr);
      expect(series.length, `${panel}: ${expr}`).toBeGreaterThan(0);
    }
  });

  it("fills the dashboard's job variable from its label_values query", async () => {
    const variable = dashboard.templating.list.find((entry) => entry.name === 'job')!;
    const [, metric, label] = /^label_values\((\w+), (\w+)\)$/.exec(variable.definition)!;
    const values = await prometheus.api<string[]>(`/api/v1/label/${label}/values?match[]=${metric}`);
    expect(values).toEqual([JOB]);
    expect(variable.current.value).toBe(JOB);
  });

  it('evaluates every alert expression, and has series for every selector in it', async () => {
    for (const rule of rules) {
      await prometheus.query(rule.expr);
      const selectors = selectorsOf(rule.expr);
      expect(selectors.length, rule.alert).toBeGreaterThan(0);
      for (const selector of selectors)
        expect((await prometheus.query(selector)).length, `${rule.alert}: ${selector}`).toBeGreaterThan(0);
    }
  });

  it('fires the alerts for a permanent failure and an event id conflict, and no other', async () => {
    const firing = async () => {
      const { alerts } = await prometheus.api<{ alerts: { labels: { alertname: string }; state: string }[] }>(
        '/api/v1/alerts',
      );
      return alerts
        .filter((alert) => alert.state === 'firing')
        .map((alert) => alert.labels.alertname)
        .sort();
    };
    const expected = ['ContractEventsEventIdConflict', 'ContractEventsProcessingFailed'];
    await waitFor('the alerts to fire', async () => (await firing()).length >= expected.length, {
      timeoutMs: 15_000,
    }).catch(() => {});
    expect(await firing()).toEqual(expected);
  });
});
