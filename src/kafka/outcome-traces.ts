import type { DecodedMessage } from '../processing/decoded-message.js';
import { outcomeIdentity, type Outcome } from '../processing/outcome.js';
import { headerText, type InboundMessage } from './kafka-client.js';
import type { TracedOutcome } from './outcome-message.js';
import { outcomeTraceContext } from '../observability/trace-context.js';

/**
 * Each outcome of a chunk with the trace context of the message it answers;
 * a revised decision continues the trace of the late message that caused it.
 * `decoded[i]` is `chunk[i]` decoded.
 */
export function traceOutcomes(outcomes: readonly Outcome[], chunk: readonly InboundMessage[], decoded: readonly DecodedMessage[]): TracedOutcome[] {
  const byOffset = new Map(chunk.map((message) => [message.offset, message]));
  const causing = (eventId: string) => chunk[decoded.findIndex((message) => message.eventId === eventId)];
  return outcomes.map((outcome) => {
    const { message } = outcome;
    const input = message.revises ? causing(message.revises.caused_by) : message.source.transport === 'kafka' ? byOffset.get(message.source.offset) : undefined;
    return traceOutcome(outcome, input && { traceparent: headerText(input, 'traceparent'), tracestate: headerText(input, 'tracestate') });
  });
}

/** An outcome with the trace context it carries: continuing the input's, or a new one. */
export function traceOutcome(outcome: Outcome, input?: { traceparent?: string; tracestate?: string }): TracedOutcome {
  return { ...outcome, trace: outcomeTraceContext(outcomeIdentity(outcome.message), input) };
}
