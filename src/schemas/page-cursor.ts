import { z } from 'zod';
import { parseInstant } from '../domain/timestamp.js';

/** Where a page of the audit ended: the last row's (event_created_at, id), the listing's sort key. */
export interface AuditPosition {
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ`, microseconds kept. */
  createdAt: string;
  /** The audit row's bigint id, as text. */
  id: string;
}

// Opaque to clients (base64url of a small JSON pair) so the sort key can change without breaking them.
export function encodeCursor(position: AuditPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): AuditPosition | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded) || decoded.length !== 2) return undefined;
    const [createdAt, id] = decoded as unknown[];
    if (typeof createdAt !== 'string' || parseInstant(createdAt) === undefined) return undefined;
    if (typeof id !== 'string' || !/^\d{1,18}$/.test(id)) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}

/** A `?cursor=` value: accepted only when it is a cursor this service issued. */
export const pageCursorSchema = z
  .string()
  .transform((cursor, context) => {
    const position = decodeCursor(cursor);
    if (position) return position;
    context.addIssue({
      code: 'custom',
      message: 'is not a cursor from a previous page (use its next_cursor unchanged)',
    });
    return z.NEVER;
  })
  .meta({ description: "The previous page's `next_cursor`; omit for the first page." });
