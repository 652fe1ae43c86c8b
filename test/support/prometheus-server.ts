import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePorts, waitFor } from '../../scripts/infra/wait.js';
import { ensurePrometheus } from './prometheus.js';

/** One series of an instant query's answer. */
export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * A real Prometheus server, scraping the given targets every second and
 * evaluating the given rule file; started once it has scraped every target
 * (it takes up its targets about 5 s after start), as if it had been watching
 * before anything happened.
 */
export interface PrometheusServer {
  url: string;
  /** Instant query; throws with Prometheus's own error when the expression does not parse or evaluate. */
  query(expr: string): Promise<PromSeries[]>;
  /** GET on the HTTP API (`/api/v1/...`), returning its `data`. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export interface PrometheusScrape {
  job: string;
  targets: string[];
  ruleFile: string;
}

export async function startPrometheus({ job, targets, ruleFile }: PrometheusScrape): Promise<PrometheusServer> {
  const { prometheus } = ensurePrometheus();
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [ruleFile],
    scrape_configs: [{ job_name: job, metrics_path: '/metrics', static_configs: [{ targets }] }],
  };
  // JSON is YAML, so the config needs no YAML writer.
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const [port] = await getFreePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    prometheus,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success')
      throw new Error(`Prometheus answered ${response.status} to ${path}: ${body.error ?? ''}`);
    return body.data;
  };
  const abortReason = () => (child.exitCode === null ? undefined : `exited with ${child.exitCode}:\n${log}`);
  try {
    await waitFor('Prometheus', async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true, {
      timeoutMs: 30_000,
      abortReason,
    });
    await waitFor(
      `Prometheus's first scrape of ${targets.join(', ')}`,
      async () => (await scraped(api)) === targets.length,
      { timeoutMs: 30_000, abortReason },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    api,
    query: async (expr) =>
      (await api<{ resultType: string; result: PromSeries[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`))
        .result,
    stop,
  };
}

/** How many targets have been scraped successfully at least once. */
async function scraped(api: PrometheusServer['api']): Promise<number> {
  const { activeTargets } = await api<{ activeTargets: { health: string }[] }>('/api/v1/targets');
  return activeTargets.filter((target) => target.health === 'up').length;
}
