import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { getFreePorts } from '../../../scripts/infra/wait.js';
import { buildStubHttpApp } from '../../support/stub-http-app.js';

// The image's HEALTHCHECK is what a platform restarts the container by, so it
// probes liveness: the service is healthy while Kafka is away (readiness 503,
// POST /events still deciding). The command is run here as Docker would run
// it, against the HTTP app.

const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');

/** The exec form of the HEALTHCHECK's CMD, its line continuations joined. */
function healthcheckCommand(): string[] {
  const instruction =
    /^HEALTHCHECK\b((?:.*\\\n)*.*)$/m.exec(dockerfile)?.[1] ?? expect.fail('the Dockerfile has no HEALTHCHECK');
  const exec =
    /\bCMD\s+(\[.*\])\s*$/.exec(instruction.replace(/\\\n/g, ' '))?.[1] ??
    expect.fail('HEALTHCHECK has no exec-form CMD');
  return JSON.parse(exec) as string[];
}

/** Runs the health check with `env` as the container's, and gives its exit code. */
function runHealthcheck(env: Record<string, string>): Promise<number> {
  const [command, ...args] = healthcheckCommand();
  expect(command).toBe('node');
  const { MANAGEMENT_PORT: _management, HTTP_PORT: _http, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...inherited, ...env }, timeout: 10_000 }, (error) =>
      resolve(error ? Number(error.code ?? 1) : 0),
    );
  });
}

let app: FastifyInstance | undefined;
afterEach(() => app?.close());

/** The HTTP app, up but not ready (Kafka away), listening on a free port of 127.0.0.1. */
async function notReadyApp(): Promise<string> {
  app = await buildStubHttpApp({
    readiness: async () => ({ ready: false, checks: { database: 'ok', kafka: 'failing', consumer: 'failing' } }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503);
  return String((app.server.address() as AddressInfo).port);
}

describe("the image's HEALTHCHECK", () => {
  it('passes while the service is alive but not ready (Kafka away)', async () => {
    expect(await runHealthcheck({ HTTP_PORT: await notReadyApp() })).toBe(0);
  });

  it('asks MANAGEMENT_PORT when it is set', async () => {
    const port = await notReadyApp();
    const [closed] = await getFreePorts(1);
    expect(await runHealthcheck({ HTTP_PORT: String(closed), MANAGEMENT_PORT: port })).toBe(0);
  });

  it('fails when nothing answers', async () => {
    const [closed] = await getFreePorts(1);
    expect(await runHealthcheck({ HTTP_PORT: String(closed) })).toBe(1);
  });
});
