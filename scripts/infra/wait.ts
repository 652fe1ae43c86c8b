import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';

// Small polling helpers: the launcher waits for real answers, not for log lines.

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Returns a reason to stop waiting early (e.g. the process died). */
  abortReason?: () => string | undefined;
}

/** Polls `check` until it returns true; throws on timeout or abort. */
export async function waitFor(what: string, check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const reason = options.abortReason?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${Math.round(options.timeoutMs / 1000)} s`);
    await sleep(options.intervalMs ?? 250);
  }
}

/** True when something accepts TCP connections on host:port. */
export function isPortListening(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host });
    const finish = (listening: boolean) => {
      socket.destroy();
      done(listening);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** Asks the OS for `count` distinct free ports on 127.0.0.1 (held together so they differ). */
export async function getFreePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen(0, '127.0.0.1', () => done());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('could not get a free port');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((done) => server.close(() => done()))));
  }
}

/** Last `lines` lines of a log file, for error messages ('' when unreadable). */
export function tailFile(path: string, lines = 30): string {
  try {
    const size = statSync(path).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return buffer
      .toString('utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n')
      .trimEnd();
  } catch {
    return '';
  }
}

export function seconds(sinceMs: number): string {
  return `${((Date.now() - sinceMs) / 1000).toFixed(1)} s`;
}
