// Failures of the service's dependencies, classified once where they arise
// (the store for Postgres, the Kafka client module for Kafka), so the code that
// retries only asks `retriable`: a retriable failure passes with time (an
// outage, a lost leader), a non-retriable one repeats on every attempt and must
// never be retried in a loop.

export abstract class ServiceError extends Error {
  abstract readonly retriable: boolean;
}

/** A Postgres failure; `sqlstate` is null when no server answered. */
export class DatabaseError extends ServiceError {
  override name = 'DatabaseError';

  constructor(
    message: string,
    readonly sqlstate: string | null,
    readonly retriable: boolean,
    /** True when the database could not be reached or refused to serve right now (HTTP answers 503). */
    readonly unavailable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
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
 * Whether trying again later can succeed. Errors nobody classified count as
 * retriable: retrying keeps every message in order and skips none, and the
 * logs and readiness show it.
 */
export function isRetriable(error: unknown): boolean {
  return !(error instanceof ServiceError) || error.retriable;
}
