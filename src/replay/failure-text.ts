import { redactCredentials } from '../observability/logger.js';
import { isFromPrisma, toDatabaseError } from '../store/database-failure.js';

/** One line saying why a run failed: Postgres' own reason for a database error, never a password. */
export function failureText(error: unknown): string {
  const text = isFromPrisma(error)
    ? toDatabaseError(error).message
    : error instanceof Error
      ? error.message
      : String(error);
  return redactCredentials(text);
}
