import type { Config } from '../config.js';
import { createKafkaClient } from '../kafka/kafkajs/client.js';
import { kafkaSecurity } from '../kafka/kafka-security.js';
import type { KafkaClient, KafkaProbe } from '../kafka/port.js';
import type { Logger } from '../observability/logger.js';

/** The service's Kafka client, and the fast-failing probe readiness asks. */
export function createKafkaClients(config: Config, logger: Logger): { kafka: KafkaClient; kafkaProbe: KafkaProbe } {
  // One reading of the TLS and SASL settings for both clients, so the probe logs in exactly as the service does.
  const security = kafkaSecurity(config);
  const kafka = createKafkaClient({
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    security,
    logger: logger.child({ module: 'kafka' }),
  });

  // A probe answers in about a second, however long the service's own retries would wait.
  const kafkaProbe = createKafkaClient({
    clientId: `${config.KAFKA_CLIENT_ID}-probe`,
    brokers: config.KAFKA_BROKERS,
    security,
    logger,
    failFast: true,
  }).createProbe();
  return { kafka, kafkaProbe };
}
