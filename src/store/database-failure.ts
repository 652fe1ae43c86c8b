// What a database error means for the consumer: a connection, timeout,
// lock or restart problem passes, so the batch is retried; a data exception
// or constraint violation (SQLSTATE classes 22 and 23) will fail the same way
// every time, so retrying it forever would block its partition.

const PERMANENT_SQLSTATE_CLASSES = new Set(['22', '23']);

export interface DatabaseFailure {
  sqlstate: string | null;
  reason: string;
}

export function describeDatabaseFailure(error: unknown): DatabaseFailure {
  const postgres = postgresCause(error);
  if (postgres) return { sqlstate: postgres.code, reason: postgres.message };
  return { sqlstate: null, reason: error instanceof Error ? error.message.trim().split('\n').at(-1)!.trim() : String(error) };
}

/**
 * True when the database could not be reached or refused to serve right now
 * (connection refused, closed or timed out; too many connections; shutting
 * down): the caller should retry later, and an HTTP client gets a 503.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const failure = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  const kind = failure?.meta?.driverAdapterError?.cause?.kind;
  if (typeof kind === 'string' && kind !== 'postgres') return true;
  const sqlstate = postgresCause(error)?.code;
  if (sqlstate !== undefined) return /^(08|53|57P0)/.test(sqlstate);
  return typeof failure?.code === 'string' && /^(P100[12]|P1008|P1017|P2024)$/.test(failure.code);
}

export function isPermanentDatabaseFailure(error: unknown): boolean {
  const sqlstate = postgresCause(error)?.code;
  return sqlstate !== undefined && PERMANENT_SQLSTATE_CLASSES.has(sqlstate.slice(0, 2));
}

interface PostgresCause {
  code: string;
  message: string;
}

/** The Postgres error behind a Prisma driver-adapter error, or a plain node-postgres one. */
function postgresCause(error: unknown): PostgresCause | undefined {
  const adapterCause = (error as { meta?: { driverAdapterError?: { cause?: { kind?: string; code?: unknown; message?: unknown } } } })?.meta
    ?.driverAdapterError?.cause;
  if (adapterCause?.kind === 'postgres' && typeof adapterCause.code === 'string') {
    return { code: adapterCause.code, message: String(adapterCause.message ?? '') };
  }
  const plain = error as { code?: unknown; severity?: unknown; message?: unknown };
  if (typeof plain?.code === 'string' && /^[0-9A-Z]{5}$/.test(plain.code) && plain.severity !== undefined) {
    return { code: plain.code, message: String(plain.message ?? '') };
  }
  return undefined;
}
