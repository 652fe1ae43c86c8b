import type { Config } from '../config.js';
import type { KafkaSecurity } from './port.js';

/** The TLS and SASL settings every Kafka client of the service and its scripts connects with. */
export function kafkaSecurity(config: Config): KafkaSecurity {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = config;
  return {
    ...(config.KAFKA_SSL && {
      ssl: {
        rejectUnauthorized: config.KAFKA_SSL_REJECT_UNAUTHORIZED,
        ...(config.KAFKA_SSL_CA !== undefined && { ca: config.KAFKA_SSL_CA }),
        ...(config.KAFKA_SSL_CERT !== undefined && { cert: config.KAFKA_SSL_CERT }),
        ...(config.KAFKA_SSL_KEY !== undefined && { key: config.KAFKA_SSL_KEY }),
      },
    }),
    // loadConfig lets the three through only together.
    ...(mechanism !== undefined &&
      username !== undefined &&
      password !== undefined && { sasl: { mechanism, username, password } }),
  };
}

/**
 * What to tell an operator when the brokers refuse the service's SASL login:
 * the mechanism and the settings to check, never the user name or password
 * (both are secrets, see config-secrets.ts).
 */
export function refusedLoginMessage(config: Config): string {
  const { KAFKA_SASL_MECHANISM: mechanism } = config;
  const login =
    mechanism === undefined
      ? 'a login'
      : `the service's credentials (SASL ${mechanism.toUpperCase()} authentication failed)`;
  return `Kafka refused ${login}; check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE); retrying`;
}
