import { DatabaseError, type FailureKind } from '../errors.js';

// What a database error means, classified once, here. Only a failure that
// passes with time is retried without limit: the database could not be
// reached or refused to serve right now. A data exception or constraint
// violation (SQLSTATE classes 22 and 23) fails the same way every time. The
// rest (a syntax error, a Prisma validation error, an adapter error nobody
// named, a TypeError in the store's own code) is most likely a bug: retried a
// bounded number of times, like any failure nobody classified, never forever.

const PERMANENT_SQLSTATE_CLASSES = new Set(['22', '23']);

/**
 * SQLSTATEs of a database that cannot serve right now: connection exceptions
 * (08); a login or database refused (28, 3D000: a rotated password, a dropped
 * grant or database fails every event alike, so giving events up would burn
 * the topic); too many connections and other resource limits (53); shutting
 * down (57P0x); a statement or lock wait cancelled by statement_timeout or
 * lock_timeout (57014, 55P03); a deadlock or serialization victim (40);
 * read-only (25006: a standby after a failover, or
 * default_transaction_read_only set, as managed databases do when their disk
 * fills); a session ended by idle_in_transaction_session_timeout or
 * transaction_timeout (25P03, 25P04); permission denied (42501, as when a
 * grant was dropped). The rest of class 25 (e.g. 25P02, a statement in a
 * transaction already failed) is not.
 */
const UNAVAILABLE_SQLSTATE = /^(08|28|3D000|40|53|57P0|57014|55P03|25006|25P03|25P04|42501)/;

/** Prisma's driver-adapter kinds for a server that did not answer (no SQLSTATE). */
const UNREACHABLE_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TlsConnectionError',
]);

/**
 * node-postgres says these in words only: a connection lost or never made, or
 * no pooled connection free in time. Prisma passes them on as they are.
 */
const CONNECTION_LOST =
  /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect)/;

/**
 * Prisma's own codes for a server that cannot be reached or used right now;
 * P2028 only when no connection was free to start a transaction in time.
 */
const UNAVAILABLE_PRISMA_CODES = /^(P100[12]|P1008|P1017|P2024)$/;
const TRANSACTION_NOT_STARTED = 'Unable to start a transaction in the given time';

/** Any error from Prisma or node-postgres as a classified DatabaseError (one already classified is returned as is). */
export function toDatabaseError(error: unknown): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const postgres = postgresCause(error);
  const reason =
    postgres?.message ?? (error instanceof Error ? error.message.trim().split('\n').at(-1)!.trim() : String(error));
  return new DatabaseError(reason, postgres?.code ?? null, kindOf(error, postgres), { cause: error });
}

/**
 * What a store method's failure is: a classified DatabaseError when it came
 * from the database, its driver or Prisma; a bug of the store's own code (a
 * TypeError while mapping rows) as it is, which nobody classified.
 */
export function storeFailure(error: unknown): unknown {
  const fromDatabase =
    error instanceof DatabaseError ||
    isFromPrisma(error) ||
    postgresCause(error) !== undefined ||
    isDatabaseUnavailable(error);
  return fromDatabase ? toDatabaseError(error) : error;
}

/** Errors Prisma made (its client's error classes): a DatabaseError's message is their last, telling line. */
export function isFromPrisma(error: unknown): boolean {
  return typeof error === 'object' && error !== null && error.constructor.name.startsWith('Prisma');
}

function kindOf(error: unknown, postgres: PostgresCause | undefined): FailureKind {
  if (isDatabaseUnavailable(error)) return 'retriable';
  if (postgres !== undefined && PERMANENT_SQLSTATE_CLASSES.has(postgres.code.slice(0, 2))) return 'permanent';
  return 'unclassified';
}

/**
 * True when the database could not be reached or refused to serve right now
 * (see UNAVAILABLE_SQLSTATE; without a SQLSTATE: connection refused, closed or
 * timed out, TLS failing, no pooled connection free in time): the caller
 * should retry later, and an HTTP client gets a 503.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseError) return error.unavailable;
  const sqlstate = postgresCause(error)?.code;
  if (sqlstate !== undefined) return UNAVAILABLE_SQLSTATE.test(sqlstate);
  if (error instanceof Error && CONNECTION_LOST.test(error.message)) return true;
  const failure = error as {
    code?: unknown;
    message?: unknown;
    meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
  };
  const adapterKind = failure?.meta?.driverAdapterError?.cause?.kind;
  if (typeof adapterKind === 'string') return UNREACHABLE_ADAPTER_KINDS.has(adapterKind);
  if (failure?.code === 'P2028')
    return typeof failure.message === 'string' && failure.message.includes(TRANSACTION_NOT_STARTED);
  return typeof failure?.code === 'string' && UNAVAILABLE_PRISMA_CODES.test(failure.code);
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
  const adapterCause = (error as { meta?: { driverAdapterError?: { cause?: AdapterCause } } })?.meta?.driverAdapterError
    ?.cause;
  const adapterCode = adapterCause?.originalCode ?? (adapterCause?.kind === 'postgres' ? adapterCause.code : undefined);
  if (typeof adapterCode === 'string') {
    return {
      code: adapterCode,
      message: String(adapterCause?.originalMessage ?? adapterCause?.message ?? adapterCause?.kind ?? ''),
    };
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
