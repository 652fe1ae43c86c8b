import type { Decision } from '../domain/decide.js';
import type { InvalidMessage, ValidMessage } from './decoded-message.js';
import type { DecisionEntry } from './ports.js';

/** The ledger and audit record of a message that is not a valid event. */
export function invalidEntry(decoded: InvalidMessage, processedAt: string): DecisionEntry {
  const { code, error, source } = decoded;
  return {
    status: 'error',
    code,
    message: error.message,
    ...emptyEventColumns(),
    eventId: decoded.ledgerId,
    error,
    source,
    processedAt,
    fingerprint: null,
    revision: 0,
  };
}

/** The ledger and audit record of a decided event. */
export function decisionEntry(
  decoded: ValidMessage,
  decision: Decision,
  contractId: string | null,
  processedAt: string,
): DecisionEntry {
  const { event } = decoded;
  return {
    eventId: decoded.eventId,
    status: decision.status,
    code: decision.code,
    message: decision.message,
    contractId,
    contractNumber: event.contractNumber,
    eventType: event.type,
    component: decision.component,
    action: decision.action,
    eventDate: event.date,
    eventCreatedAt: event.createdAt,
    error: null,
    source: decoded.source,
    processedAt,
    fingerprint: decoded.fingerprint,
    revision: 0,
  };
}

function emptyEventColumns() {
  return {
    contractId: null,
    contractNumber: null,
    eventType: null,
    component: null,
    action: null,
    eventDate: null,
    eventCreatedAt: null,
  };
}
