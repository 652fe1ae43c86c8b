import type { DecodedMessage } from '../processing/decoded-message.js';
import { outcomeIdentity, type Outcome } from '../processing/outcome.js';
import { headerText } from './header-text.js';
import type { InboundMessage } from './port.js';
import type { TracedOutcome } from './outcome-message.js';
import { outcomeTraceContext } from '../observability/trace-context.js';

/**
 * Each outcome of a chunk with the trace context and position of the message
 * that caused it: its own, or for a revised decision the late message that
 * revised it. `decoded[i]` is `chunk[i]` decoded.
 */
export function traceOutcomes(
  outcomes: readonly Outcome[],
  chunk: readonly InboundMessage[],
  decoded: readonly DecodedMessage[],
): TracedOutcome[] {
  const byOffset = new Map(chunk.map((message, index) => [message.offset, index]));
  // Built on the first revision only: most chunks revise nothing. The first message with an id caused its revisions.
  let byEventId: Map<string, number> | undefined;
  const causedBy = (eventId: string): number | undefined => {
    byEventId ??= new Map(decoded.map((message, index) => [message.eventId, index] as const).reverse());
    return byEventId.get(eventId);
  };
  const causing = ({ revises, source }: Outcome['message']): number | undefined =>
    revises ? causedBy(revises.caused_by) : source.transport === 'kafka' ? byOffset.get(source.offset) : undefined;
  return outcomes.map((outcome) => {
    const index = causing(outcome.message);
    if (index === undefined) return traceOutcome(outcome);
    const input = chunk[index]!;
    const traced = traceOutcome(outcome, {
      traceparent: headerText(input, 'traceparent'),
      tracestate: headerText(input, 'tracestate'),
    });
    const cause = decoded[index]!.source;
    return cause.transport === 'kafka' ? { ...traced, cause } : traced;
  });
}

/** An outcome with the trace context it carries: continuing the input's, or a new one. */
export function traceOutcome(outcome: Outcome, input?: { traceparent?: string; tracestate?: string }): TracedOutcome {
  return { ...outcome, trace: outcomeTraceContext(outcomeIdentity(outcome.message), input) };
}
