import { EVENT_CATALOGUE } from '../domain/catalogue.js';
import type { OutcomeMessage } from '../schemas/outcome.js';
import type { Metrics } from './metrics.js';

/** Counts one decided event and logs it once, with its Kafka position when it came from Kafka. */
/** Any pino-style logger (the service's, or a request's). */
interface InfoLogger {
  info(fields: object, message: string): void;
}

export function recordDecision(logger: InfoLogger, metrics: Metrics, message: OutcomeMessage): void {
  const type = message.event?.type;
  metrics.eventsProcessed.inc({ status: message.status, code: message.code, type: type ?? 'unknown', duplicate: String(message.duplicate) });
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
      topic: message.source?.topic,
      partition: message.source?.partition,
      offset: message.source?.offset,
    },
    'event decided',
  );
}
