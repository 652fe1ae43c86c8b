import { createRequire } from 'node:module';
import * as kafkajs from '../../../src/kafka/kafkajs/patched.js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { KafkaError } from '../../../src/errors.js';
import { classifyCrash, toKafkaError, transactionalError } from '../../../src/kafka/kafka-errors.js';
import { refusedLoginMessage } from '../../../src/kafka/kafka-security.js';

// kafkajs's typings leave out the arguments its error classes take.
type KafkaJsErrorClass = new (
  error: Error | string,
  options?: { cause?: unknown; retryCount?: number; retryTime?: number },
) => Error;
const { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSSASLAuthenticationError } =
  kafkajs as unknown as Record<string, KafkaJsErrorClass>;

// A refused SASL login, as kafkajs raises it: its own error type, without a
// broker error type, wrapped by its retrier on the way out.
const refused = () =>
  new KafkaJSSASLAuthenticationError!(
    'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
  );

describe('a refused SASL login', () => {
  it.each([
    ['as thrown', refused()],
    ['wrapped by the retrier', new KafkaJSNonRetriableError!(refused(), { cause: refused() })],
    [
      'after retries ran out',
      new KafkaJSNumberOfRetriesExceeded!(refused(), { retryCount: 5, retryTime: 1_000, cause: refused() }),
    ],
  ])('is classified SASL_AUTHENTICATION_FAILED %s, and retried', (_how, error) => {
    const classified = toKafkaError(error);
    expect(classified).toBeInstanceOf(KafkaError);
    expect(classified.type).toBe('SASL_AUTHENTICATION_FAILED');
    expect(classified.loginRefused).toBe(true);
    // The user may be created or its password reset on the brokers meanwhile.
    expect(classified.retriable).toBe(true);
    expect(classifyCrash(new Error('crash', { cause: error })).retriable).toBe(true);
  });

  it('is told to the operator with the mechanism and the settings to check, never the user name or the password (both secrets)', () => {
    const config = loadConfig({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'svc-user-7f3a',
      KAFKA_SASL_PASSWORD: 'hunter2-secret',
    });
    const message = refusedLoginMessage(config);
    expect(message).toBe(
      "Kafka refused the service's credentials (SASL SCRAM-SHA-512 authentication failed); " +
        'check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE); retrying',
    );
    expect(message).not.toContain('svc-user-7f3a');
    expect(message).not.toContain('hunter2');
  });
});

describe('authorization refusals on the transactional path', () => {
  const require = createRequire(import.meta.url);
  const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as {
    createErrorFromCode(code: number): Error;
  };

  // Kafka protocol error codes, as the broker answers InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, Produce and EndTxn.
  it.each([
    [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'],
    [29, 'TOPIC_AUTHORIZATION_FAILED'],
    [30, 'GROUP_AUTHORIZATION_FAILED'],
    [31, 'CLUSTER_AUTHORIZATION_FAILED'],
  ])('classifies code %i (%s) as permanent, as thrown and as kafkajs passes it on', (code, type) => {
    for (const error of [
      createErrorFromCode(code),
      new KafkaJSNonRetriableError!(createErrorFromCode(code), { cause: createErrorFromCode(code) }),
    ]) {
      expect(toKafkaError(error)).toMatchObject({ type, retriable: false });
      expect(classifyCrash(new Error('crash', { cause: error })).retriable).toBe(false);
    }
  });

  it('names the ACL a transactional producer lacks', () => {
    const failure = transactionalError(createErrorFromCode(53), 'svc-contract-events-3', 'principal User:svc');
    expect(failure).toMatchObject({ type: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', retriable: false });
    expect(failure.message).toBe(
      'TRANSACTIONAL_ID_AUTHORIZATION_FAILED: principal User:svc lacks Write and Describe on TransactionalId svc-contract-events-3 (docs/security.md, Kafka ACLs)',
    );
  });

  it('leaves other failures of a transactional producer as they are', () => {
    const lost = Object.assign(new Error('Connection error: ECONNREFUSED'), { name: 'KafkaJSConnectionError' });
    expect(transactionalError(lost, 'svc-contract-events-3', 'principal User:svc')).toMatchObject({
      type: null,
      retriable: true,
      message: 'Connection error: ECONNREFUSED',
    });
    expect(transactionalError(createErrorFromCode(30), 'svc-contract-events-3', 'principal User:svc')).toMatchObject({
      type: 'GROUP_AUTHORIZATION_FAILED',
      retriable: false,
    });
  });
});
