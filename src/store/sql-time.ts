import { parseInstant, type Micros } from '../domain/timestamp.js';
import { Prisma } from '../generated/prisma/client.js';

// Postgres keeps microseconds; JavaScript Dates keep milliseconds. Instants
// therefore cross the boundary as text, formatted and parsed on both sides.

/** SQL that renders a timestamptz column as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function instantText(column: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** SQL that renders a date column as `YYYY-MM-DD`. */
export function dateText(column: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`to_char(${column}, 'YYYY-MM-DD')`;
}

/** An instant read back as `instantText` renders it; a text it cannot be is a broken invariant, not bad input. */
export function storedInstant(text: string): Micros {
  const micros = parseInstant(text);
  if (micros === undefined) throw new TypeError(`Postgres returned an unreadable instant: ${text}`);
  return micros;
}
