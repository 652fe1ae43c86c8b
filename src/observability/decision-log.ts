import { EVENT_CATALOGUE } from '../domain/catalogue.js';
import { EVENT_ID_CONFLICT, type OutcomeMessage } from '../schemas/outcome.js';
import type { Metrics } from './metrics.js';

/** A decided outcome, with the trace it continues when it answers a Kafka message. */
export interface DecidedOutcome {
  message: OutcomeMessage;
  trace?: { traceId: string };
}

/** Any pino-style logger (the service's, or a request's). */
export interface DecisionLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/**
 * Logs each decided event once, with its Kafka position and trace id when it came from
 * Kafka, and counts them. Counting is per distinct label set, not per event:
 * a batch of a thousand events costs a handful of counter updates. Revised
 * decisions are logged and counted apart: they answer no new message.
 */
export function recordDecisions(logger: DecisionLogger, metrics: Metrics, outcomes: readonly DecidedOutcome[]): void {
  const tally = new Map<
    string,
    { labels: { status: string; code: string; type: string; duplicate: string }; count: number }
  >();
  for (const { message, trace } of outcomes) {
    const fields = logFields(message, trace?.traceId);
    if (message.revises) {
      metrics.decisionsRevised.inc({ status: message.status, code: message.code });
      logger.info({ ...fields, revision: message.revision, revises: message.revises }, 'event decision revised');
      continue;
    }
    const type = message.event?.type;
    const key = `${message.status}|${message.code}|${type}|${message.duplicate}`;
    const entry = tally.get(key);
    if (entry) entry.count += 1;
    else
      tally.set(key, {
        labels: {
          status: message.status,
          code: message.code,
          type: type ?? 'unknown',
          duplicate: String(message.duplicate),
        },
        count: 1,
      });
    if (message.code === EVENT_ID_CONFLICT) {
      metrics.eventIdConflicts.inc({ source: message.source.transport });
      logger.warn(fields, 'event id already decided for other content; event not applied');
    } else {
      logger.info(fields, 'event decided');
    }
  }
  for (const { labels, count } of tally.values()) metrics.eventsProcessed.inc(labels, count);
}

function logFields(message: OutcomeMessage, traceId: string | undefined): Record<string, unknown> {
  const type = message.event?.type;
  const source = message.source;
  return {
    event_id: message.event_id,
    contract_number: message.event?.contract_number,
    component: type && EVENT_CATALOGUE[type].component,
    action: type && EVENT_CATALOGUE[type].action,
    created_at: message.event?.created_at,
    status: message.status,
    code: message.code,
    duplicate: message.duplicate,
    ...(source.transport === 'kafka'
      ? { topic: source.topic, partition: source.partition, offset: source.offset }
      : { request_id: source.request_id }),
    ...(traceId === undefined ? {} : { trace_id: traceId }),
  };
}
