import { PROCESSING_FAILED } from '../schemas/outcome.js';
import { storableText } from '../schemas/storable-text.js';
import { decodeMessage, invalidMessage, RAW_QUOTE_LIMIT, type RawMessage } from './decode-message.js';
import type { DecodedMessage } from './decoded-message.js';

/**
 * decodeMessage, which never throws unless it has a bug: should it throw for
 * one message, that message alone is answered PROCESSING_FAILED (the service
 * failed, not the producer: VALIDATION_ERROR would send the producer to fix an
 * event that may well be valid), with its value quoted back, and the messages
 * around it are decided as usual instead of the partition stalling on it.
 */
export function decodeIsolatingBugs(raw: RawMessage, onBug: (error: unknown) => void): DecodedMessage {
  try {
    return decodeMessage(raw);
  } catch (error) {
    onBug(error);
    const reason = storableText(
      `unexpected ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      RAW_QUOTE_LIMIT,
    );
    return invalidMessage(raw, PROCESSING_FAILED, `The message could not be decoded: ${reason}`, {
      reason,
      ...(raw.value && {
        raw_base64: raw.value.subarray(0, RAW_QUOTE_LIMIT).toString('base64'),
        raw_bytes: raw.value.length,
      }),
    });
  }
}
