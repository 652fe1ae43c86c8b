import { KafkaError, ServiceError } from '../errors.js';

// kafkajs's own `retriable` flag describes one request; once its retrier gives
// up it wraps the cause in a non-retriable "retries exceeded" error although
// the outage may pass. What the service can retry is decided here, once, from
// the broker's error type at the root of the chain.

/** Failures that repeat until an operator changes something (an ACL, a topic setting, the broker). */
const PERMANENT_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'INVALID_REQUIRED_ACKS',
  'INVALID_CONFIG',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  // Not SASL_AUTHENTICATION_FAILED: a refused login is retried, since the
  // user can be created or its password reset on the brokers while we wait.
]);

/** kafkajs's error for a refused SASL login; it carries no broker error type of its own. */
const SASL_REFUSED = 'KafkaJSSASLAuthenticationError';

interface KafkaJsLike {
  name?: unknown;
  type?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** Any error a Kafka call threw, as a classified KafkaError (one already classified is returned as is). */
export function toKafkaError(error: unknown): KafkaError {
  if (error instanceof KafkaError) return error;
  const root = rootCause(error);
  const type =
    typeof root.type === 'string' ? root.type : root.name === SASL_REFUSED ? 'SASL_AUTHENTICATION_FAILED' : null;
  const message = typeof root.message === 'string' && root.message ? root.message : String(error);
  // Everything else (lost connections, leader changes, fenced or confused
  // producers, which a fresh producer replaces) passes with time.
  const retriable = type === null || !PERMANENT_TYPES.has(type);
  return new KafkaError(type ? `${type}: ${message}` : message, type, retriable, { cause: error });
}

/**
 * A failure of the transactional producer `transactionalId`. A refusal of the
 * id names the ACL `principal` lacks (kafkajs's text does not), for the one
 * line the consumer stops with.
 */
export function transactionalError(error: unknown, transactionalId: string, principal: string): KafkaError {
  const failure = toKafkaError(error);
  if (failure.type !== 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED') return failure;
  const reason = `${principal} lacks Write and Describe on TransactionalId ${transactionalId} (docs/security.md, Kafka ACLs)`;
  return new KafkaError(`${failure.type}: ${reason}`, failure.type, false, { cause: error });
}

function rootCause(error: unknown): KafkaJsLike {
  let current = (error ?? {}) as KafkaJsLike;
  for (let depth = 0; depth < 5 && current.cause && typeof current.cause === 'object'; depth += 1) {
    if (typeof current.type === 'string') break;
    current = current.cause as KafkaJsLike;
  }
  return current;
}

/**
 * What a consumer crash means: a classified error of ours anywhere in the
 * chain (kafkajs wraps what a batch handler threw) decides; else the Kafka cause.
 */
export function classifyCrash(error: unknown): ServiceError {
  for (
    let current: unknown = error, depth = 0;
    current && depth < 5;
    current = (current as { cause?: unknown }).cause, depth += 1
  ) {
    if (current instanceof ServiceError) return current;
  }
  return toKafkaError(error);
}
