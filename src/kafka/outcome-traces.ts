import type { DecodedMessage } from '../processing/decoded-message.js';
import type { Outcome } from '../processing/outcome.js';
import { headerText, type InboundMessage } from './kafka-client.js';
import { outcomeIdentity, type TracedOutcome } from './outcome-message.js';
import { outcomeTraceContext } from './trace-context.js';

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
    const headers = input && { traceparent: headerText(input, 'traceparent'), tracestate: headerText(input, 'tracestate') };
    return { ...outcome, trace: outcomeTraceContext(outcomeIdentity(message), headers) };
  });
}
