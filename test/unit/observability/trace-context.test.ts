import { describe, expect, it } from 'vitest';
import {
  carriedTraceHeaders,
  outcomeTraceContext,
  parseTraceparent,
} from '../../../src/observability/trace-context.js';
import { MAX_TRACESTATE_LENGTH } from '../../../src/schemas/outcome-headers.js';

// Examples from the W3C Trace Context recommendation, section 3.2.
const PRODUCER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
/** Two list members of 512 characters in all, each value at its longest (256) or near it. */
const AT_LIMIT = `a=${'x'.repeat(256)},b=${'x'.repeat(251)}`;

describe('W3C traceparent', () => {
  it('reads a valid header and refuses malformed or all-zero ones', () => {
    expect(parseTraceparent(PRODUCER)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
    });
    expect(parseTraceparent('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds')).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
    });
    for (const bad of [
      undefined,
      '',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeNull();
    }
  });
});

describe('the trace context of an outcome', () => {
  it("continues the producer's trace as a child, keeping its flags and tracestate", () => {
    const context = outcomeTraceContext('contract-events/0/42', {
      traceparent: PRODUCER,
      tracestate: 'congo=t61rcWkgMzE',
    });
    expect(context.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(context.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(context.traceparent.split('-')[2]).not.toBe('00f067aa0ba902b7');
    expect(context.tracestate).toBe('congo=t61rcWkgMzE');
  });

  it('does not carry a tracestate longer than 512 characters', () => {
    expect(MAX_TRACESTATE_LENGTH).toBe(512);
    expect(AT_LIMIT).toHaveLength(512);
    expect(
      outcomeTraceContext('contract-events/0/42', { traceparent: PRODUCER, tracestate: AT_LIMIT }).tracestate,
    ).toBe(AT_LIMIT);
    expect(
      outcomeTraceContext('contract-events/0/42', { traceparent: PRODUCER, tracestate: `${AT_LIMIT}y` }),
    ).not.toHaveProperty('tracestate');
  });

  it('starts a new trace, not sampled, when the input has no valid traceparent, and drops a lone tracestate', () => {
    const context = outcomeTraceContext('contract-events/0/42', {
      traceparent: 'garbage',
      tracestate: 'congo=t61rcWkgMzE',
    });
    expect(context.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(context.traceparent.slice(3, 35)).toBe(context.traceId);
    expect(context).not.toHaveProperty('tracestate');
  });

  it('is the same for every copy of an outcome and differs between outcomes', () => {
    expect(outcomeTraceContext('contract-events/0/42')).toEqual(outcomeTraceContext('contract-events/0/42'));
    expect(outcomeTraceContext('contract-events/0/42').traceId).not.toBe(
      outcomeTraceContext('contract-events/0/43').traceId,
    );
    const a = outcomeTraceContext('contract-events/0/42', { traceparent: PRODUCER });
    const b = outcomeTraceContext('contract-events/0/43', { traceparent: PRODUCER });
    expect(a.traceId).toBe(b.traceId);
    expect(a.traceparent).not.toBe(b.traceparent);
  });
});

describe('the trace headers an outcome carries on', () => {
  it('are a valid traceparent, with a tracestate of at most 512 characters', () => {
    expect(carriedTraceHeaders({ traceparent: ` ${PRODUCER} `, tracestate: 'congo=t61rcWkgMzE' })).toEqual({
      traceparent: PRODUCER,
      tracestate: 'congo=t61rcWkgMzE',
    });
    expect(carriedTraceHeaders({ traceparent: PRODUCER, tracestate: `${AT_LIMIT}y` })).toEqual({
      traceparent: PRODUCER,
    });
    expect(carriedTraceHeaders({ traceparent: PRODUCER })).toEqual({ traceparent: PRODUCER });
  });

  it('are none for a missing, malformed or repeated traceparent, whatever the tracestate', () => {
    for (const traceparent of [undefined, 'nonsense', [PRODUCER, PRODUCER]]) {
      expect(
        carriedTraceHeaders({ traceparent, tracestate: 'congo=t61rcWkgMzE' }),
        String(traceparent),
      ).toBeUndefined();
    }
  });
});

describe('the W3C tracestate an outcome carries on', () => {
  const carried = (tracestate: string) => carriedTraceHeaders({ traceparent: PRODUCER, tracestate })?.tracestate;
  const continued = (tracestate: string) =>
    outcomeTraceContext('contract-events/0/42', { traceparent: PRODUCER, tracestate }).tracestate;

  it.each([
    // The recommendation's examples (sections 3.3.1 and 3.3.2).
    'congo=t61rcWkgMzE',
    'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    'congo=ucfJifl5GOE,rojo=00f067aa0ba902b7',
    // Multi-tenant keys, spaces and tabs around commas, an empty member, a value with inner spaces and every other printable character.
    'fw529a3039@dt=FW4;0;0;0;0;0;0;ad,t61rcwkgmze@congo=1',
    'rojo=00f067aa0ba902b7 ,\tcongo=t61rcWkgMzE',
    'rojo=1,,congo=2',
    'a=x y',
    'a=!"#$%&\'()*+-./:;<>?@[\\]^_`{|}~',
    `k=${'v'.repeat(256)}`,
    `${'k'.repeat(256)}=v`,
    Array.from({ length: 32 }, (_, i) => `k${i}=${i}`).join(','),
  ])('carries %j unchanged', (tracestate) => {
    expect(carried(tracestate)).toBe(tracestate);
    expect(continued(tracestate)).toBe(tracestate);
  });

  it.each([
    ['a carriage return and line feed', 'congo=t61rcWkgMzE\r\nx-forged: 1'],
    ['a line feed', 'congo=t61rcWkgMzE\nrojo=1'],
    ['a NUL', 'congo=t61rc\u0000WkgMzE'],
    ['an ESC', 'congo=\u001b[31mred\u001b[0m'],
    ['a DEL', 'congo=t61rc\u007f'],
    ['a character beyond ASCII', 'congo=caf\u00e9'],
    ['an upper-case key', 'Congo=t61rcWkgMzE'],
    ['a key starting with a digit without a tenant', '1congo=t61rcWkgMzE'],
    ['a system id of 15 characters', `tenant@${'s'.repeat(15)}=1`],
    ['a key of 257 characters', `${'k'.repeat(257)}=v`],
    ['a value of 257 characters', `k=${'v'.repeat(257)}`],
    ['a member without =', 'congo'],
    ['an empty value', 'congo='],
    ['an = in the value', 'congo=a=b'],
    ['a key given twice', 'congo=1,rojo=2,congo=3'],
    ['33 members', Array.from({ length: 33 }, (_, i) => `k${i}=${i}`).join(',')],
  ])('drops one with %s', (_what, tracestate) => {
    expect(carried(tracestate)).toBeUndefined();
    expect(continued(tracestate)).toBeUndefined();
    // The traceparent still goes on.
    expect(carriedTraceHeaders({ traceparent: PRODUCER, tracestate })).toEqual({ traceparent: PRODUCER });
  });

  it('decides a long invalid one in linear time (no catastrophic backtracking)', () => {
    const started = performance.now();
    for (const filler of [' ', 'a=b ', 'a=b c', 'a@b=c ']) {
      const members = Array.from({ length: 31 }, () => filler.padEnd(14, ' ')).join(',');
      expect(carried(`${members}\u0000`)).toBeUndefined();
    }
    expect(performance.now() - started).toBeLessThan(100);
  });
});
