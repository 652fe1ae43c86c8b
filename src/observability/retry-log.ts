import type { Logger } from './logger.js';

/** How to log one kind of failure, where the generic "<what> failed; retrying" would not say enough. */
export interface FailureExplanation {
  level: 'warn' | 'error';
  message: string;
}

export interface RetryLogOptions {
  /** A failure that goes on unchanged is logged again after this long. */
  repeatAfterMs: number;
  explain?(error: unknown): FailureExplanation | undefined;
}

/** Logs a failed attempt of `what`; attempt and delay go into the line's fields. */
export type RetryLog = (what: string, error: unknown, fields: Record<string, unknown>) => void;

/**
 * Logs a failure that repeats on every retry once, then again only when it
 * changes or `repeatAfterMs` has passed, with how often it recurred meanwhile:
 * a wrong password must not fill the log with the same line every few seconds.
 */
export function createRetryLog(logger: Logger, options: RetryLogOptions): RetryLog {
  let last: { key: string; loggedAt: number; recurred: number } | undefined;
  return (what, error, fields) => {
    const key = `${what}\n${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    const now = Date.now();
    if (last?.key === key && now - last.loggedAt < options.repeatAfterMs) {
      last.recurred += 1;
      return;
    }
    const recurred = last?.key === key ? { recurredSinceLastLine: last.recurred } : {};
    const { level, message } = options.explain?.(error) ?? { level: 'warn', message: `${what} failed; retrying` };
    logger[level]({ err: error, ...fields, ...recurred }, message);
    last = { key, loggedAt: now, recurred: 0 };
  };
}
