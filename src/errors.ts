// Failures of the service's dependencies, classified once where they arise
// (the store for Postgres, the Kafka client module for Kafka), so the code that
// retries only asks their kind: a retriable failure passes with time (an
// outage, a lost leader) and is retried without limit; a permanent one repeats
// on every attempt and must never be retried in a loop. A failure nobody
// classified (most likely a bug: a TypeError in a rule or a serializer) may or
// may not pass, so it is retried a bounded number of times, then given up as
// an UnexpectedFailure, which is permanent.

export abstract class ServiceError extends Error {
  abstract readonly retriable: boolean;
}

/**
 * A Postgres failure; `sqlstate` is null when no server answered. Retriable
 * exactly when the database could not be reached or refused to serve right
 * now (an HTTP client then gets a 503); permanent when the statement fails
 * the same way every time; anything else (a bug of ours in SQL or in Prisma
 * arguments, an adapter error nobody named) is unclassified.
 */
export class DatabaseError extends ServiceError {
  override name = 'DatabaseError';

  constructor(
    message: string,
    readonly sqlstate: string | null,
    readonly kind: FailureKind,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  get retriable(): boolean {
    return this.kind === 'retriable';
  }

  /** True when the database could not be reached or refused to serve right now (HTTP answers 503). */
  get unavailable(): boolean {
    return this.kind === 'retriable';
  }
}

/** A Kafka failure; `type` is the broker's error name where there is one (e.g. MESSAGE_TOO_LARGE). */
export class KafkaError extends ServiceError {
  override name = 'KafkaError';

  constructor(
    message: string,
    readonly type: string | null,
    readonly retriable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** A newer producer with our transactional id exists: this instance no longer owns the partition. */
  get fenced(): boolean {
    return this.type === 'INVALID_PRODUCER_EPOCH' || this.type === 'PRODUCER_FENCED';
  }

  /** The brokers refused our SASL login (user or password). */
  get loginRefused(): boolean {
    return this.type === 'SASL_AUTHENTICATION_FAILED';
  }

  /** The broker refused a request as larger than the topic's `max.message.bytes`. */
  get tooLarge(): boolean {
    return this.type === 'MESSAGE_TOO_LARGE' || this.type === 'RECORD_LIST_TOO_LARGE';
  }
}

/**
 * Another writer got there first (it recorded what we were about to): retriable, and
 * unlike an outage it passes at once, since the next attempt re-reads what the
 * winner wrote. Retried where every retry is decided (src/kafka/backoff.ts).
 */
export abstract class LostRace extends ServiceError {
  readonly retriable = true;
}

/** A failure nobody classified that kept failing for `attempts` attempts: retrying it further would loop. */
export class UnexpectedFailure extends ServiceError {
  override name = 'UnexpectedFailure';
  readonly retriable = false;

  constructor(
    cause: unknown,
    readonly attempts: number,
  ) {
    // The cause's own message follows this one where errors are logged or described.
    super(`unexpected ${cause instanceof Error ? cause.name : typeof cause}`, { cause });
  }
}

export type FailureKind = 'retriable' | 'permanent' | 'unclassified';

export function failureKind(error: unknown): FailureKind {
  if (error instanceof DatabaseError) return error.kind;
  if (!(error instanceof ServiceError)) return 'unclassified';
  return error.retriable ? 'retriable' : 'permanent';
}
