import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaClient } from '../../src/kafka/kafkajs/client.js';
import type { KafkaSecurity } from '../../src/kafka/port.js';
import { createLogger } from '../../src/observability/logger.js';
import { startSecureKafka, type SecureKafka } from '../support/secure-kafka.js';

// The secure local broker (`npm run infra:up -- --secure`) as the service's
// Kafka client meets it: TLS verified against the broker's own CA, then
// SCRAM-SHA-512. Only the right password with the CA gets in.

let kafka: SecureKafka;

beforeAll(async () => {
  kafka = await startSecureKafka();
}, 120_000);
afterAll(async () => {
  await kafka?.stop();
});

const clientWith = (security: KafkaSecurity | undefined, failFast = true) =>
  createKafkaClient({
    clientId: 'secure-kafka-test',
    brokers: [kafka.brokers],
    logger: createLogger('silent'),
    failFast,
    ...(security ? { security } : {}),
  });

const scram = (password = kafka.password): KafkaSecurity['sasl'] => ({
  mechanism: 'scram-sha-512',
  username: kafka.username,
  password,
});
const withCa = (password?: string): KafkaSecurity => ({
  ssl: { ca: kafka.caPem, rejectUnauthorized: true },
  sasl: scram(password),
});

describe('secure local Kafka (SASL_SSL, SCRAM-SHA-512)', () => {
  it('lets a client with the CA and the right password create a topic, produce and consume', async () => {
    const client = clientWith(withCa(), false);
    const topic = `secure-${randomUUID().slice(0, 8)}`;
    expect(await client.ensureTopics([{ topic, partitions: 1, replicationFactor: 1 }])).toEqual([topic]);

    const publisher = await client.connectPublisher();
    await publisher.send(topic, [{ key: 'contract-1', value: 'over SASL_SSL', headers: {} }]);
    await publisher.disconnect();

    const subscriber = client.createSubscriber({ groupId: `secure-${randomUUID()}`, topic, concurrency: 1 });
    const received = new Promise<string | undefined>((resolve) => {
      void subscriber.start(async ({ messages }, control) => {
        const [message] = messages;
        if (!message) return;
        await control.commitThrough(message.offset);
        resolve(message.value?.toString());
      });
    });
    try {
      expect(await received).toBe('over SASL_SSL');
    } finally {
      await subscriber.stop();
    }
  });

  it('refuses a wrong password with an authentication error', async () => {
    const wrongPassword = clientWith(withCa('not-the-password'));
    await expect(wrongPassword.listTopics()).rejects.toThrow(/authentication failed/i);
  });

  it('gives no metadata to a plaintext connection', async () => {
    // The broker closes a connection that does not start with a TLS handshake.
    await expect(clientWith(undefined).listTopics()).rejects.toThrow(/connection/i);
  });

  it('fails the TLS handshake of a client without the CA', async () => {
    const withoutCa = clientWith({ ssl: { rejectUnauthorized: true }, sasl: scram() });
    await expect(withoutCa.listTopics()).rejects.toThrow(/certificate/i);
  });
});
