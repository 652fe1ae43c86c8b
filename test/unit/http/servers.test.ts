import { afterEach, describe, expect, it } from 'vitest';
import { getFreePorts } from '../../../scripts/infra/wait.js';
import { startHttpServers, type HttpServers } from '../../../src/http/servers.js';
import { stubHttpDependencies } from '../../support/stub-http-app.js';

// MANAGEMENT_PORT: probes and metrics move to a port of their own and leave
// the API port; without it they stay where they were. Real sockets, port 0.

const LOCAL = { host: '127.0.0.1', port: 0 };
const OPERATIONS = ['/health/live', '/health/ready', '/livez', '/readyz', '/metrics'];

let servers: HttpServers | undefined;
afterEach(() => servers?.close());

const baseUrl = (app: HttpServers['api']) => {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return `http://127.0.0.1:${address.port}`;
};
const status = async (url: string) => (await fetch(url)).status;

describe('HTTP servers', () => {
  it('serve probes and metrics on the management port only, when one is given', async () => {
    servers = await startHttpServers(
      LOCAL,
      LOCAL,
      stubHttpDependencies({ tokens: { write: ['w'.repeat(32)], read: ['r'.repeat(32)] } }),
    );
    const api = baseUrl(servers.api);
    const management = baseUrl(servers.management!);
    expect(api).not.toBe(management);
    for (const path of OPERATIONS) {
      expect(await status(`${management}${path}`), path).toBe(200);
      expect(await status(`${api}${path}`), path).toBe(404);
    }
    expect(await status(`${management}/contracts/c-1`)).toBe(404);
    expect(await status(`${management}/docs/json`)).toBe(404);
    const paths = Object.keys(((await (await fetch(`${api}/docs/json`)).json()) as { paths: object }).paths);
    expect(paths.filter((path) => OPERATIONS.includes(path))).toEqual([]);
  });

  it('serve probes and metrics on the API port when no management port is given', async () => {
    servers = await startHttpServers(LOCAL, undefined, stubHttpDependencies());
    expect(servers.management).toBeUndefined();
    for (const path of OPERATIONS) expect(await status(`${baseUrl(servers.api)}${path}`), path).toBe(200);
  });

  it('leave nothing listening when the management port is taken', async () => {
    servers = await startHttpServers(LOCAL, undefined, stubHttpDependencies());
    const taken = { host: '127.0.0.1', port: Number(new URL(baseUrl(servers.api)).port) };
    const [apiPort] = await getFreePorts(1);
    await expect(
      startHttpServers({ host: '127.0.0.1', port: apiPort! }, taken, stubHttpDependencies()),
    ).rejects.toThrow(/EADDRINUSE/);
    await expect(fetch(`http://127.0.0.1:${apiPort}/health/live`)).rejects.toThrow();
  });
});
