import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sleep } from './wait.js';

// Background processes of the launcher: started in their own process group
// (a Ctrl-C in the terminal reaches the service first, the launcher then stops
// infrastructure in order), output appended to a log file.

export interface SpawnOptions {
  logFile: string;
  /** Keep running after this Node process exits (infra:up). */
  detached: boolean;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

const attached = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Spawns `command` with stdout/stderr appended to `logFile`. */
export function spawnLogged(command: string, args: string[], options: SpawnOptions): ChildProcess {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: options.env ?? process.env,
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    if (options.detached) {
      child.unref();
    } else {
      // Not meant to outlive us: if we exit without stopping it, ask it to stop.
      attached.add(child);
      child.once('exit', () => attached.delete(child));
      installExitHook();
    }
    return child;
  } finally {
    closeSync(log);
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of attached) child.kill('SIGTERM');
  });
}

/** Whether a process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // A zombie answers kill(0) but has exited already.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

/** Whether pid's command line contains `needle` (guards against reused pids in stale pid files). */
export function commandLineContains(pid: number, needle: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
  } catch {
    return isAlive(pid); // no /proc (macOS): trust the pid file
  }
}

/** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILLs. */
export async function stopProcess(pid: number, signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (!isAlive(pid)) return;
  console.warn(`pid ${pid} did not stop within ${graceMs / 1000} s after ${signal}; sending SIGKILL`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  const killDeadline = Date.now() + 5_000;
  while (isAlive(pid) && Date.now() < killDeadline) await sleep(100);
}

/** Waits for a child's exit; resolves immediately when it has exited already. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once('exit', (code) => done(code)));
}

export function writePidFile(path: string, pid: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${pid}\n`);
}

export function readPidFile(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function removePidFile(path: string): void {
  rmSync(path, { force: true });
}
