import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; connection strings are redacted wherever they appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'contract-events-service' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['databaseUrl', '*.databaseUrl', 'config.DATABASE_URL', 'password', '*.password'], censor: '[redacted]' },
  });
}
