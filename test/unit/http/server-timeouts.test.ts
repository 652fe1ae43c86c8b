import type { FastifyInstance } from 'fastify';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serverTimeouts } from '../../../src/http/server-timeouts.js';
import { buildStubHttpApp } from '../../support/stub-http-app.js';

// Slow or silent clients must not hold a socket (and its request) for ever.

let app: FastifyInstance | undefined;
let socket: Socket | undefined;
afterEach(async () => {
  socket?.destroy();
  await app?.close();
});

/** Connects to the app on a real port; resolves with everything the server sent once it closes the socket, and when. */
async function openSocket(timeouts: { requestTimeoutMs: number; connectionTimeoutMs: number }) {
  app = await buildStubHttpApp({ timeouts });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const opened = Date.now();
  socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('utf8')));
  const closed = new Promise<{ received: string; afterMs: number }>((resolve) =>
    socket!.on('close', () => resolve({ received, afterMs: Date.now() - opened })),
  );
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket!.once('connect', resolve));
  return { socket, closed };
}

describe('HTTP server timeouts', () => {
  it('cuts off a client that sends the headers, then stalls the body, once the request timeout is over', async () => {
    const { socket, closed } = await openSocket({ requestTimeoutMs: 500, connectionTimeoutMs: 60_000 });
    socket.write(
      'POST /events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"type":"supply_',
    );
    const { received, afterMs } = await closed;
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toEqual({
      code: 'REQUEST_TIMEOUT',
      message: expect.any(String),
    });
    expect(afterMs).toBeGreaterThanOrEqual(450);
    expect(afterMs).toBeLessThan(5_000);
  });

  it('closes a connection that stays idle for the connection timeout', async () => {
    const { closed } = await openSocket({ requestTimeoutMs: 0, connectionTimeoutMs: 300 });
    const { received, afterMs } = await closed;
    expect(received).toBe('');
    expect(afterMs).toBeGreaterThanOrEqual(250);
    expect(afterMs).toBeLessThan(5_000);
  });

  it('keeps a socket alive between requests for less than the idle timeout, and says so', async () => {
    expect(serverTimeouts({ requestTimeoutMs: 30_000, connectionTimeoutMs: 60_000 })).toMatchObject({
      requestTimeout: 30_000,
      connectionTimeout: 60_000,
      keepAliveTimeout: 5_000,
    });
    expect(serverTimeouts({ requestTimeoutMs: 30_000, connectionTimeoutMs: 0 }).keepAliveTimeout).toBe(5_000);
    expect(serverTimeouts({ requestTimeoutMs: 30_000, connectionTimeoutMs: 3_000 }).keepAliveTimeout).toBe(1_500);
    // Node closes a kept-alive socket a second after the time it announces.
    const { socket, closed } = await openSocket({ requestTimeoutMs: 30_000, connectionTimeoutMs: 4_000 });
    socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const { received, afterMs } = await closed;
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received.toLowerCase()).toContain('keep-alive: timeout=2');
    expect(afterMs).toBeLessThan(3_800);
  });
});
