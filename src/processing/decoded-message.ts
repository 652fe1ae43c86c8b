import type { DomainEvent } from '../domain/decide.js';
import type { ErrorResponse } from '../schemas/error-response.js';
import type { InputErrorCode, SourcePosition } from '../schemas/outcome.js';

/** A consumed message that is a valid event, ready to be decided. */
export interface ValidMessage {
  kind: 'valid';
  eventId: string;
  event: DomainEvent;
  source: SourcePosition | null;
}

/** A consumed message that is not a valid event: it gets an `error` outcome. */
export interface InvalidMessage {
  kind: 'invalid';
  eventId: string;
  code: InputErrorCode;
  error: ErrorResponse;
  source: SourcePosition;
}

export type DecodedMessage = ValidMessage | InvalidMessage;
