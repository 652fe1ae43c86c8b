import { redactCredentials } from '../observability/logger.js';
import { toDatabaseError } from '../store/database-failure.js';

/** One line saying why a run failed: Postgres' own reason for a database error, never a password. */
export function failureText(error: unknown): string {
  const fromPrisma = typeof error === 'object' && error !== null && error.constructor.name.startsWith('Prisma');
  const text = fromPrisma ? toDatabaseError(error).message : error instanceof Error ? error.message : String(error);
  return redactCredentials(text);
}
