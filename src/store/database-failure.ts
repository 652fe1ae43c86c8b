import { DatabaseError } from '../errors.js';

// What a database error means: a connection, timeout, lock or restart problem
// passes, so the work is retried; a data exception or constraint violation
// (SQLSTATE classes 22 and 23) fails the same way every time, so retrying it
// would block a partition forever. Classified once, here.

const PERMANENT_SQLSTATE_CLASSES = new Set(['22', '23']);
const POOL_WAIT_TIMED_OUT = 'timeout exceeded when trying to connect';

/** Any error from Prisma or node-postgres as a classified DatabaseError (one already classified is returned as is). */
export function toDatabaseError(error: unknown): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const postgres = postgresCause(error);
  const unavailable = isDatabaseUnavailable(error);
  const reason = postgres?.message ?? (error instanceof Error ? error.message.trim().split('\n').at(-1)!.trim() : String(error));
  const permanent = postgres !== undefined && PERMANENT_SQLSTATE_CLASSES.has(postgres.code.slice(0, 2));
  return new DatabaseError(reason, postgres?.code ?? null, !permanent, unavailable, { cause: error });
}

/**
 * True when the database could not be reached or refused to serve right now
 * (connection refused, closed or timed out; no pooled connection free in
 * time; too many connections; shutting down; a statement or lock wait
 * cancelled by statement_timeout or lock_timeout, 57014 / 55P03; a
 * transaction rolled back as a deadlock or serialization victim, class 40;
 * read-only, 25006: a standby after a failover, or default_transaction_read_only
 * set, as managed databases do when their disk fills; a session ended by
 * idle_in_transaction_session_timeout or transaction_timeout, 25P03 / 25P04):
 * the caller should retry later, and an HTTP client gets a 503. The rest of
 * class 25 (e.g. 25P02, a statement in a transaction already failed) is not.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseError) return error.unavailable;
  const sqlstate = postgresCause(error)?.code;
  if (sqlstate !== undefined) return /^(08|40|53|57P0|57014|55P03|25006|25P03|25P04)/.test(sqlstate);
  // Every connection of the pool stayed busy: node-postgres says so in words only.
  if (error instanceof Error && error.message.includes(POOL_WAIT_TIMED_OUT)) return true;
  const failure = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  // An adapter error without a SQLSTATE is a socket, TLS or timeout problem: no server answered.
  if (typeof failure?.meta?.driverAdapterError?.cause?.kind === 'string') return true;
  return typeof failure?.code === 'string' && /^(P100[12]|P1008|P1017|P2024)$/.test(failure.code);
}

interface PostgresCause {
  code: string;
  message: string;
}

/**
 * The Postgres error behind a Prisma driver-adapter error (which names some
 * SQLSTATEs by a kind of its own, e.g. ValueOutOfRange for 22003, and keeps
 * the code as `originalCode`), or a plain node-postgres one.
 */
function postgresCause(error: unknown): PostgresCause | undefined {
  const adapterCause = (error as { meta?: { driverAdapterError?: { cause?: AdapterCause } } })?.meta?.driverAdapterError?.cause;
  const adapterCode = adapterCause?.originalCode ?? (adapterCause?.kind === 'postgres' ? adapterCause.code : undefined);
  if (typeof adapterCode === 'string') {
    return { code: adapterCode, message: String(adapterCause?.originalMessage ?? adapterCause?.message ?? adapterCause?.kind ?? '') };
  }
  const plain = error as { code?: unknown; severity?: unknown; message?: unknown };
  if (typeof plain?.code === 'string' && /^[0-9A-Z]{5}$/.test(plain.code) && plain.severity !== undefined) {
    return { code: plain.code, message: String(plain.message ?? '') };
  }
  return undefined;
}

interface AdapterCause {
  kind?: string;
  code?: unknown;
  message?: unknown;
  originalCode?: unknown;
  originalMessage?: unknown;
}
