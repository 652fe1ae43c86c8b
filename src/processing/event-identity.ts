import { createHash } from 'node:crypto';
import type { DomainEvent } from '../domain/decide.js';
import { formatInstant } from '../domain/timestamp.js';
import { DERIVED_ID_PREFIX } from '../schemas/event.js';
import type { SourcePosition } from '../schemas/outcome.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * A hash of an event's content, with created_at normalised first so `+02:00`
 * and `Z` spellings of one instant are the same content. The ledger keeps it
 * to tell a re-sent event from another event that reuses its event_id (the
 * event_id migration computes the same hash in SQL).
 */
export function contentFingerprint(event: DomainEvent): string {
  return sha256([event.type, event.contractNumber, event.date, formatInstant(event.createdAt)].join('\n'));
}

/**
 * The id of an event sent without `event_id`: its content fingerprint, so the
 * same event sent twice is recognised, in the reserved form no producer's id
 * can take (the derived_event_ids migration rewrites older ids to it).
 */
export function derivedEventId(fingerprint: string): string {
  return `${DERIVED_ID_PREFIX}${fingerprint}`;
}

/**
 * The id of a message that is not a valid event. It names the Kafka position,
 * so a redelivery of that message is recognised, while a corrected event sent
 * later with the same producer id is not mistaken for it.
 */
export function invalidMessageId(source: SourcePosition): string {
  return `${DERIVED_ID_PREFIX}${sha256(['invalid', source.topic, source.partition, source.offset].join('\n'))}`;
}
