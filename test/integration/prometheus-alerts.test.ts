import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensurePrometheus } from '../support/prometheus.js';

// The shipped alert rules, checked and unit-tested by Prometheus's own promtool
// (deploy/prometheus/alerts.test.yml holds the cases), and each documented.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let promtool: string;

beforeAll(() => {
  promtool = ensurePrometheus().promtool;
}, 300_000);

const run = (...args: string[]) => {
  const result = spawnSync(promtool, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
};

interface Rule {
  alert: string;
  labels: { severity: string };
  annotations: { summary: string; runbook: string };
}
const rules = (
  parse(readFileSync(`${ROOT}deploy/prometheus/alerts.yml`, 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((group) => group.rules);

describe('the alert rules', () => {
  it('are valid, and the compose Prometheus config that loads them too', () => {
    const rulesCheck = run('check', 'rules', 'deploy/prometheus/alerts.yml');
    expect(rulesCheck.status, rulesCheck.output).toBe(0);
    const configCheck = run('check', 'config', 'deploy/prometheus/prometheus.yml');
    expect(configCheck.status, configCheck.output).toBe(0);
    expect(configCheck.output).toContain(`${rules.length} rules found`);
  });

  it("pass promtool's unit tests, which cover every alert firing and not yet firing", () => {
    const tests = run('test', 'rules', 'deploy/prometheus/alerts.test.yml');
    expect(tests.status, tests.output).toBe(0);
    const cases = parse(readFileSync(`${ROOT}deploy/prometheus/alerts.test.yml`, 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const checks = cases.tests.flatMap((test) => test.alert_rule_test);
    for (const { alert } of rules) {
      expect(
        checks.some((check) => check.alertname === alert && check.exp_alerts.length > 0),
        `${alert} fires somewhere`,
      ).toBe(true);
      expect(
        checks.some((check) => check.alertname === alert && check.exp_alerts.length === 0),
        `${alert} is quiet somewhere`,
      ).toBe(true);
    }
  });

  it('each have a severity, a summary and a runbook section in docs/operations.md', () => {
    const runbook = readFileSync(`${ROOT}docs/operations.md`, 'utf8');
    for (const rule of rules) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length, rule.alert).toBeGreaterThan(20);
      expect(rule.annotations.runbook, rule.alert).toBe(`docs/operations.md#${rule.alert.toLowerCase()}`);
      expect(runbook, rule.alert).toMatch(new RegExp(`^### ${rule.alert}$`, 'm'));
    }
  });
});
