import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaSecurity } from '../port.js';

/** The kafkajs form of our security settings (exported for the tests' and the benchmark's own kafkajs clients). */
export function kafkajsSecurity(security: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { ssl, sasl } = security ?? {};
  return {
    ...(ssl && { ssl: { ...ssl, ...(ssl.ca !== undefined && { ca: [ssl.ca] }) } }),
    // kafkajs's SASL options are a union per mechanism; each of ours takes a username and password alike.
    ...(sasl && { sasl: sasl as SASLOptions }),
  };
}
