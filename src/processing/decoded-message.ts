import type { DomainEvent } from '../domain/decide.js';
import type { ErrorResponse } from '../schemas/error-response.js';
import type { InputErrorCode, OutcomeSource, PROCESSING_FAILED, SourcePosition } from '../schemas/outcome.js';

/** An event ready to be decided: consumed from Kafka or received over HTTP. */
export interface ValidMessage {
  kind: 'valid';
  eventId: string;
  event: DomainEvent;
  source: OutcomeSource;
  /** The hash of the event's content: an event_id seen again with another fingerprint is a conflict. */
  fingerprint: string;
}

/** A consumed message that is not a valid event: it gets an `error` outcome. */
export interface InvalidMessage {
  kind: 'invalid';
  /** The producer's event_id when the value carries a valid one, else `ledgerId`. */
  eventId: string;
  /**
   * The key its decision is recorded under: derived from its Kafka position, so a
   * redelivery is recognised while a corrected event sent later with the same
   * producer id is not mistaken for it.
   */
  ledgerId: string;
  /**
   * The Kafka key of its outcome: the input's own key, or `ledgerId` when it
   * had none (or an empty one, or bytes that are not UTF-8 text), so that every
   * outcome has a key a compacted outcome topic accepts, stable across redeliveries.
   */
  outcomeKey: string;
  /** PROCESSING_FAILED when decoding it failed for a reason of ours (a bug), not the producer's. */
  code: InputErrorCode | typeof PROCESSING_FAILED;
  error: ErrorResponse;
  source: SourcePosition;
}

export type DecodedMessage = ValidMessage | InvalidMessage;

/** The key a message's decision is recorded under in the idempotency ledger. */
export const ledgerIdOf = (message: DecodedMessage): string =>
  message.kind === 'valid' ? message.eventId : message.ledgerId;
