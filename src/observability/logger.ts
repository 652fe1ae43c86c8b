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
 * chunks, flushed at least every LOG_FLUSH_INTERVAL_MS and when the process
 * exits (a kill -9 may lose the last half second of log, never an event).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'contract-events-service' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Top-level paths only: wildcards would cost a walk of every logged object.
    redact: {
      paths: ['databaseUrl', 'password', 'token', 'config.DATABASE_URL', 'req.headers.authorization'],
      censor: '[redacted]',
    },
    serializers: { err: errorSerializer },
  };
  return pino(options, destination ?? bufferedDestination(1));
}

/** How long a log line may wait in the buffer: an idle or failing service must still show its last lines. */
const LOG_FLUSH_INTERVAL_MS = 500;

/**
 * Writes to file descriptor `fd` asynchronously in chunks of 4 KiB (a busy
 * service logs every decided event), and flushes what is buffered every
 * LOG_FLUSH_INTERVAL_MS, so a quiet service does not sit on its last lines.
 */
export function bufferedDestination(fd: number): ReturnType<typeof pino.destination> {
  const stream = pino.destination({ dest: fd, sync: false, minLength: 4096 });
  const timer = setInterval(() => {
    try {
      stream.flush();
    } catch {
      clearInterval(timer); // closed or destroyed: nothing left to flush
    }
  }, LOG_FLUSH_INTERVAL_MS);
  timer.unref();
  stream.on('close', () => clearInterval(timer));
  return stream;
}
