import { describe, expect, it } from 'vitest';
import { carriedTraceHeaders, outcomeTraceContext, parseTraceparent } from '../../../src/observability/trace-context.js';
import { MAX_TRACESTATE_LENGTH } from '../../../src/schemas/outcome-headers.js';

// Examples from the W3C Trace Context recommendation, section 3.2.
const PRODUCER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C traceparent', () => {
  it('reads a valid header and refuses malformed or all-zero ones', () => {
    expect(parseTraceparent(PRODUCER)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', flags: '01' });
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
    const context = outcomeTraceContext('contract-events/0/42', { traceparent: PRODUCER, tracestate: 'congo=t61rcWkgMzE' });
    expect(context.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(context.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(context.traceparent.split('-')[2]).not.toBe('00f067aa0ba902b7');
    expect(context.tracestate).toBe('congo=t61rcWkgMzE');
  });

  it('does not carry a tracestate longer than 512 characters', () => {
    expect(MAX_TRACESTATE_LENGTH).toBe(512);
    const atLimit = `a=${'x'.repeat(510)}`;
    expect(outcomeTraceContext('contract-events/0/42', { traceparent: PRODUCER, tracestate: atLimit }).tracestate).toBe(atLimit);
    expect(outcomeTraceContext('contract-events/0/42', { traceparent: PRODUCER, tracestate: `${atLimit}y` })).not.toHaveProperty('tracestate');
  });

  it('starts a new trace, not sampled, when the input has no valid traceparent, and drops a lone tracestate', () => {
    const context = outcomeTraceContext('contract-events/0/42', { traceparent: 'garbage', tracestate: 'congo=t61rcWkgMzE' });
    expect(context.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(context.traceparent.slice(3, 35)).toBe(context.traceId);
    expect(context).not.toHaveProperty('tracestate');
  });

  it('is the same for every copy of an outcome and differs between outcomes', () => {
    expect(outcomeTraceContext('contract-events/0/42')).toEqual(outcomeTraceContext('contract-events/0/42'));
    expect(outcomeTraceContext('contract-events/0/42').traceId).not.toBe(outcomeTraceContext('contract-events/0/43').traceId);
    const a = outcomeTraceContext('contract-events/0/42', { traceparent: PRODUCER });
    const b = outcomeTraceContext('contract-events/0/43', { traceparent: PRODUCER });
    expect(a.traceId).toBe(b.traceId);
    expect(a.traceparent).not.toBe(b.traceparent);
  });
});

describe('the trace headers an outcome carries on', () => {
  it('are a valid traceparent, with a tracestate of at most 512 characters', () => {
    expect(carriedTraceHeaders({ traceparent: ` ${PRODUCER} `, tracestate: 'congo=t61rcWkgMzE' })).toEqual({ traceparent: PRODUCER, tracestate: 'congo=t61rcWkgMzE' });
    expect(carriedTraceHeaders({ traceparent: PRODUCER, tracestate: `a=${'x'.repeat(MAX_TRACESTATE_LENGTH - 1)}` })).toEqual({ traceparent: PRODUCER });
    expect(carriedTraceHeaders({ traceparent: PRODUCER })).toEqual({ traceparent: PRODUCER });
  });

  it('are none for a missing, malformed or repeated traceparent, whatever the tracestate', () => {
    for (const traceparent of [undefined, 'nonsense', [PRODUCER, PRODUCER]]) {
      expect(carriedTraceHeaders({ traceparent, tracestate: 'congo=t61rcWkgMzE' }), String(traceparent)).toBeUndefined();
    }
  });
});
