import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

// `scheme://user:password@host` anywhere in a string: driver errors quote connection strings.
const CREDENTIALS_IN_URL = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi;

/** Hides the password of any connection string inside a text. */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIALS_IN_URL, '$1[redacted]@');
}

/** Errors as pino serialises them, with connection-string passwords taken out of message and stack. */
function errorSerializer(error: unknown): unknown {
  const serialized: unknown = pino.stdSerializers.err(error as Error);
  try {
    const text = JSON.stringify(serialized);
    return text === undefined ? serialized : (JSON.parse(redactCredentials(text)) as unknown);
  } catch {
    return serialized; // not JSON-able (a cycle, a bigint): pino copes, and it holds no URL we could have scrubbed anyway
  }
}

/**
 * JSON logs, on stdout unless a destination is given (tests pass a buffer).
 * Connection strings are redacted by field name and, inside errors, by pattern.
 * Every decided event is logged, so stdout is written asynchronously in
 * chunks (pino flushes what is buffered when the process exits; a kill -9 may
 * lose the last few kilobytes of log, never an event).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'contract-events-service' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Top-level paths only: wildcards would cost a walk of every logged object.
    redact: { paths: ['databaseUrl', 'password', 'token', 'config.DATABASE_URL', 'req.headers.authorization'], censor: '[redacted]' },
    serializers: { err: errorSerializer },
  };
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096 }));
}
