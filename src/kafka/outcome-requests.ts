import { compactOutcome } from '../processing/outcome.js';
import type { OutboundMessage } from './port.js';
import { toOutboundMessage, type TracedOutcome } from './outcome-message.js';

// The broker refuses a record batch larger than the topic's
// `max.message.bytes`, and a producer sends one batch per partition per
// request. A chunk's outcomes therefore go out in requests whose records,
// counted with the v2 record format's worst-case overhead, stay below it.

/** Record batch header of the v2 format, plus room for what we do not count exactly. */
export const BATCH_OVERHEAD_BYTES = 61 + 451;
/** The smallest outcome-topic limit the service accepts: any compacted outcome fits well within it. */
export const MIN_MAX_MESSAGE_BYTES = 8 * 1024;

/** An upper bound of one message's size in a v2 record batch (varints at their widest). */
export function recordBytes(message: OutboundMessage): number {
  let bytes = 36 + Buffer.byteLength(message.value) + (message.key === null ? 0 : Buffer.byteLength(message.key));
  for (const name in message.headers) bytes += 10 + Buffer.byteLength(name) + Buffer.byteLength(message.headers[name]!);
  return bytes;
}

export interface OutcomeRequests {
  requests: OutboundMessage[][];
  /** Event ids of outcomes replaced by a compact version because they would not fit even alone. */
  compacted: string[];
}

/** Splits outcomes, in order, into requests of at most `maxBytes`; compacts an outcome too large on its own. */
export function toRequests(outcomes: readonly TracedOutcome[], maxBytes: number): OutcomeRequests {
  const budget = maxBytes - BATCH_OVERHEAD_BYTES;
  const requests: OutboundMessage[][] = [];
  const compacted: string[] = [];
  let current: OutboundMessage[] = [];
  let used = 0;
  for (const outcome of outcomes) {
    let message = toOutboundMessage(outcome);
    let bytes = recordBytes(message);
    if (bytes > budget) {
      message = toOutboundMessage({
        ...compactOutcome(outcome, Buffer.byteLength(message.value)),
        trace: outcome.trace,
      });
      bytes = recordBytes(message);
      compacted.push(outcome.message.event_id);
    }
    if (used + bytes > budget && current.length > 0) {
      requests.push(current);
      current = [];
      used = 0;
    }
    current.push(message);
    used += bytes;
  }
  if (current.length > 0) requests.push(current);
  return { requests, compacted };
}
