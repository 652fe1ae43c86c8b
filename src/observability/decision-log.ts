import { EVENT_CATALOGUE } from '../domain/catalogue.js';
import type { OutcomeMessage } from '../schemas/outcome.js';
import type { Metrics } from './metrics.js';

/** Any pino-style logger (the service's, or a request's). */
interface InfoLogger {
  info(fields: object, message: string): void;
}

/**
 * Logs each decided event once, with its Kafka position when it came from
 * Kafka, and counts them. Counting is per distinct label set, not per event:
 * a batch of a thousand events costs a handful of counter updates.
 */
export function recordDecisions(logger: InfoLogger, metrics: Metrics, messages: readonly OutcomeMessage[]): void {
  const tally = new Map<string, { labels: { status: string; code: string; type: string; duplicate: string }; count: number }>();
  for (const message of messages) {
    const type = message.event?.type;
    const key = `${message.status}|${message.code}|${type}|${message.duplicate}`;
    const entry = tally.get(key);
    if (entry) entry.count += 1;
    else tally.set(key, { labels: { status: message.status, code: message.code, type: type ?? 'unknown', duplicate: String(message.duplicate) }, count: 1 });
    const source = message.source;
    logger.info(
      {
        event_id: message.event_id,
        contract_number: message.event?.contract_number,
        component: type && EVENT_CATALOGUE[type].component,
        action: type && EVENT_CATALOGUE[type].action,
        created_at: message.event?.created_at,
        status: message.status,
        code: message.code,
        duplicate: message.duplicate,
        ...(source.transport === 'kafka' ? { topic: source.topic, partition: source.partition, offset: source.offset } : { request_id: source.request_id }),
      },
      'event decided',
    );
  }
  for (const { labels, count } of tally.values()) metrics.eventsProcessed.inc(labels, count);
}
