import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

// The span helpers both adapters use: a child span around a piece of work,
// ended however the work ends. With tracing off the spans record nothing.

/** Ends `span` once `work` settles, marked as failed (with the exception) when it throws. */
export async function endAfter<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span as failed by `error`, with the exception as an event. */
export function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : messageOf(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
}

/** Runs `work` as a child span of `parent`; `work` gets the child. */
export function inChildSpan<T>(
  tracer: Tracer,
  parent: Span,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const child = tracer.startSpan(name, { kind, attributes }, trace.setSpan(ROOT_CONTEXT, parent));
  return endAfter(child, () => work(child));
}

/** The database transaction that decides events, as a child span of `parent`. */
export function inDecideSpan<T>(tracer: Tracer, parent: Span, work: (span: Span) => Promise<T>): Promise<T> {
  return inChildSpan(tracer, parent, 'decide', SpanKind.INTERNAL, { 'db.system.name': 'postgresql' }, work);
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
