import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sleep } from '../scripts/infra/wait.js';

// The service as shipped: compiled with `npm run build`'s settings and run as
// `node dist/main.js` (the Dockerfile's command), in its own process so its
// memory and CPU profile are its own. Its stdout (the JSON logs, at the
// configured LOG_LEVEL, `info` by default) goes to a file.

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ServiceProcess {
  pid: number;
  /** Its stdout and stderr: the JSON log lines. */
  logFile: string;
  /** Wall-clock time (epoch ms) just before its consumer joined its group (see the readiness probe below). */
  joinedAt: number;
  hasExited(): boolean;
  /** SIGTERM (graceful: finishes the batch in hand, writes a CPU profile when asked) and waits for the exit. */
  stop(): Promise<number | null>;
}

export function buildService(): void {
  const result = spawnSync(
    process.execPath,
    [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`Building the service failed:\n${result.stdout}${result.stderr}`);
}

/** Keep in step with package.json's `start` script and the Dockerfile's NODE_OPTIONS. */
const SHIPPED_NODE_OPTIONS = '--max-old-space-size=192';

export async function startServiceProcess(options: {
  env: Record<string, string>;
  httpPort: number;
  logFile: string;
  cpuProfileDir?: string;
}): Promise<ServiceProcess> {
  const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
  const log = openSync(options.logFile, 'w');
  const child = spawn(process.execPath, [...nodeArgs, 'dist/main.js'], {
    cwd: ROOT,
    // As shipped: the heap cap of `npm start` and the Dockerfile. BENCH_SERVICE_NODE_OPTIONS tries
    // other V8 flags on the service alone (NODE_OPTIONS would reach the bench too).
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS ?? SHIPPED_NODE_OPTIONS,
      ...options.env,
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (!hasExited()) child.kill('SIGTERM');
    return exited;
  };
  if (child.pid === undefined) throw new Error('Could not start the service.');

  // Readiness includes "the consumer joined its group". The join happened after
  // the last "not ready" answer, so taking that answer's time as the start
  // can only make the service look slower, never faster. Probes stop once
  // ready, so they add no load (a few `SELECT 1`) to the measured run.
  const ready = `http://127.0.0.1:${options.httpPort}/health/ready`;
  const deadline = Date.now() + 90_000;
  let notReadyAt = Date.now();
  for (;;) {
    const ok = await fetch(ready).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return { pid: child.pid, logFile: options.logFile, joinedAt: notReadyAt, hasExited, stop };
    notReadyAt = Date.now();
    if (hasExited())
      throw new Error(`The service exited with ${child.exitCode} during start-up; see ${options.logFile}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The service was not ready (consumer in its group) within 90 s; see ${options.logFile}`);
    }
    await sleep(20);
  }
}
