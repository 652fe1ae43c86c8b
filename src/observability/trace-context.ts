import { hash } from 'node:crypto';
import { createTraceState, TraceFlags, type SpanContext } from '@opentelemetry/api';
import type { TraceHeaders } from '../processing/ports.js';
import { tracestateSchema } from '../schemas/outcome-headers.js';

// W3C Trace Context (https://www.w3.org/TR/trace-context/) across the service:
// an outcome continues the trace of the message (or POST /events request) it answers, as a child of
// the service's work on it, so a trace started by a producer reaches the
// outcome's consumers. Ids the service makes are derived from the outcome's
// identity, so every copy of an outcome carries the same headers.

/** What an outcome carries on: its `traceparent`, and the input's `tracestate` when it had one. */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
  /** The trace id alone, for the log line. */
  traceId: string;
}

interface ParsedTraceparent {
  traceId: string;
  /** The span of the producer's that sent the message. */
  parentId: string;
  flags: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZEROS = /^0+$/;

/** The trace id and flags of a valid `traceparent` header, else null (the header is then ignored, as W3C says). */
export function parseTraceparent(header: string | undefined): ParsedTraceparent | null {
  const match = header === undefined ? null : TRACEPARENT.exec(header.trim());
  if (!match) return null;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  // Version ff is invalid; version 00 has nothing after the flags; later versions may.
  if (version === 'ff' || (version === '00' && rest !== undefined) || ZEROS.test(traceId) || ZEROS.test(parentId))
    return null;
  return { traceId, parentId, flags };
}

/**
 * The `tracestate` that may go on with a valid traceparent: a non-empty one
 * valid by the W3C grammar and short enough; else none, as W3C says of one
 * that does not parse. Never a control character into an outcome's header.
 */
function validTracestate(tracestate: unknown): string | undefined {
  return typeof tracestate === 'string' && tracestate !== '' && tracestateSchema.safeParse(tracestate).success
    ? tracestate
    : undefined;
}

/**
 * The trace context of an outcome whose identity is `identity` (its `ce_id`),
 * answering a message with the given headers: a child of the input's trace,
 * or the root of a new trace when the input had no valid one.
 */
export function outcomeTraceContext(
  identity: string,
  input: { traceparent?: string; tracestate?: string } = {},
): TraceContext {
  const parent = parseTraceparent(input.traceparent);
  // One digest gives both ids (a one-shot hash: this runs once per outcome).
  const digest = hash('sha256', parent ? `${parent.traceId}/${identity}` : identity, 'hex');
  const traceId = parent?.traceId ?? digest.slice(0, 32);
  const spanId = digest.slice(32, 48);
  // Not sampled unless the producer sampled it: the service records no spans of its own by default.
  const traceparent = `00-${traceId}-${spanId}-${parent?.flags ?? '00'}`;
  const tracestate = parent ? validTracestate(input.tracestate) : undefined;
  return tracestate === undefined ? { traceparent, traceId } : { traceparent, tracestate, traceId };
}

/**
 * The trace headers of an input that an outcome carries on: a valid
 * `traceparent`, with the `tracestate` when it is valid too; undefined when
 * the input has no valid trace context (repeated headers count as none).
 */
export function carriedTraceHeaders(input: { traceparent?: unknown; tracestate?: unknown }): TraceHeaders | undefined {
  const { traceparent, tracestate } = input;
  if (typeof traceparent !== 'string' || !parseTraceparent(traceparent)) return undefined;
  const kept = validTracestate(tracestate);
  return kept === undefined
    ? { traceparent: traceparent.trim() }
    : { traceparent: traceparent.trim(), tracestate: kept };
}

/** The producer's or caller's span named by a valid `traceparent` (with its `tracestate` when valid), as OpenTelemetry's remote span context. */
export function remoteSpanContext(traceparent: string | undefined, tracestate?: string): SpanContext | undefined {
  const parsed = parseTraceparent(traceparent);
  if (!parsed) return undefined;
  const traceFlags = Number.parseInt(parsed.flags, 16) & TraceFlags.SAMPLED;
  const context: SpanContext = { traceId: parsed.traceId, spanId: parsed.parentId, traceFlags, isRemote: true };
  const traceState = validTracestate(tracestate);
  return traceState === undefined ? context : { ...context, traceState: createTraceState(traceState) };
}

/** The `traceparent` that names a span of the service's own, for what continues its trace. */
export function traceparentOf({ traceId, spanId, traceFlags }: SpanContext): TraceHeaders {
  return { traceparent: `00-${traceId}-${spanId}-0${traceFlags & TraceFlags.SAMPLED}` };
}
