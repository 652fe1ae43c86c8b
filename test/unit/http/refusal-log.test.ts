import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createRefusalLog } from '../../../src/http/refusal-log.js';

// A flood of refused requests writes a line per reason and interval, with a
// count of those it left out, and never a URL longer than 256 characters.

function recordingRequest(url = '/contracts/c-1') {
  const lines: Record<string, unknown>[] = [];
  const request = {
    method: 'GET',
    url,
    ip: '10.0.0.1',
    log: { warn: (fields: Record<string, unknown>) => lines.push(fields) },
  };
  return { request: request as unknown as FastifyRequest, lines };
}

describe('the refusal log', () => {
  it('logs the first refusal of a reason, then one per interval with how many it left out meanwhile', () => {
    let now = 0;
    const log = createRefusalLog(10_000, () => now);
    const { request, lines } = recordingRequest();
    log(request, 401, 'invalid_token');
    for (now = 1; now < 10_000; now += 1_000) log(request, 401, 'invalid_token');
    expect(lines).toEqual([
      { method: 'GET', url: '/contracts/c-1', remoteAddress: '10.0.0.1', status: 401, reason: 'invalid_token' },
    ]);
    now = 10_000;
    log(request, 401, 'invalid_token');
    expect(lines[1]).toEqual({
      method: 'GET',
      url: '/contracts/c-1',
      remoteAddress: '10.0.0.1',
      status: 401,
      reason: 'invalid_token',
      recurredSinceLastLine: 10,
    });
    now = 25_000;
    log(request, 401, 'invalid_token');
    expect(lines[2]).toMatchObject({ recurredSinceLastLine: 0 });
  });

  it('keeps each reason apart', () => {
    const log = createRefusalLog(10_000, () => 0);
    const { request, lines } = recordingRequest();
    for (const reason of [
      'missing_token',
      'invalid_token',
      'insufficient_scope',
      'too_many_refusals',
      'invalid_token',
    ] as const)
      log(request, 401, reason);
    expect(lines.map((line) => line.reason)).toEqual([
      'missing_token',
      'invalid_token',
      'insufficient_scope',
      'too_many_refusals',
    ]);
  });

  it('cuts the URL to 256 characters', () => {
    const long = `/contracts/c-1?${'q'.repeat(16_000)}`;
    const { request, lines } = recordingRequest(long);
    createRefusalLog()(request, 401, 'missing_token');
    expect(lines[0]!.url).toBe(`${long.slice(0, 256)}…`);
    const { request: short, lines: shortLines } = recordingRequest(`/${'s'.repeat(255)}`);
    createRefusalLog()(short, 401, 'missing_token');
    expect(shortLines[0]!.url).toHaveLength(256);
  });
});
