import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { startService } from '../../src/service.js';
import { outcomeMessageSchema } from '../../src/schemas/outcome.js';
import { createKafkaClient } from '../../src/kafka/kafkajs/client.js';
import type { KafkaSecurity } from '../../src/kafka/port.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  aclLines,
  grantScriptAcls,
  grantServiceAcls,
  listAcls,
  scriptGrants,
  serviceGrants,
} from '../support/kafka-acls.js';
import { startSecureKafka, type SecureKafka } from '../support/secure-kafka.js';
import { runScript, startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import {
  ALL_COMPONENTS,
  WORKED_EXAMPLE_CODES,
  WORKED_EXAMPLE_LINES,
  WORKED_EXAMPLE_TIMELINE,
} from '../support/worked-example.js';

// The path docs/security.md describes over SASL_SSL: a broker that only speaks TLS with
// SCRAM-SHA-512 logins, the service and both scripts configured the way the
// guide says (CA and password as files), and a wrong password that must show
// as "not ready" and one clear log line, never as the secret. The broker
// runs an authorizer (no ACL, no access) and the client user holds exactly the
// ACLs docs/security.md's "Kafka ACLs" lists, for the service and for both scripts:
// the worked example passing proves the list is enough.

const run = randomUUID().slice(0, 8);
const WARN = 40;
const FATAL = 60;

interface LogLine {
  level: number;
  msg: string;
}

let kafka: SecureKafka;
let db: TestDatabase;
let secrets: string;
let env: Record<string, string>;

beforeAll(async () => {
  [kafka, db] = await Promise.all([startSecureKafka({ authorizer: true }), createTestDatabase({ migrate: false })]);
  secrets = mkdtempSync(join(tmpdir(), 'secure-e2e-'));
  const passwordFile = join(secrets, 'kafka-password');
  writeFileSync(passwordFile, `${kafka.password}\n`);
  chmodSync(passwordFile, 0o600);
  env = {
    KAFKA_BROKERS: kafka.brokers,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: kafka.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: kafka.username,
    KAFKA_SASL_PASSWORD_FILE: passwordFile,
    EVENTS_TOPIC: `secure-${run}-events`,
    OUTCOMES_TOPIC: `secure-${run}-outcomes`,
    KAFKA_GROUP_ID: `secure-${run}`,
    TOPIC_PARTITIONS: '2',
    DATABASE_URL: db.url,
  };
  const principal = `User:${kafka.username}`;
  const topics = { eventsTopic: env.EVENTS_TOPIC!, outcomesTopic: env.OUTCOMES_TOPIC! };
  await grantServiceAcls(kafka, {
    ...topics,
    groupId: env.KAFKA_GROUP_ID!,
    transactionalIdPrefix: env.KAFKA_GROUP_ID!,
    principal,
  });
  await grantScriptAcls(kafka, { ...topics, principal });
});
afterAll(async () => {
  await kafka?.stop();
  await db?.drop();
  if (secrets) rmSync(secrets, { recursive: true, force: true });
});

describe('over SASL_SSL with SCRAM-SHA-512', () => {
  it('runs the worked example end to end: service, npm run produce, npm run outcomes', async () => {
    const service: ServiceProcess = await startServiceProcess(env);
    try {
      const created = await fetch(`${service.baseUrl}/contracts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contract_number: '1234', components: ALL_COMPONENTS }),
      });
      expect(created.status).toBe(201);

      const produced = await runScript('scripts/produce.ts', ['examples/events.jsonl'], env);
      expect(produced).toContain(`Sent ${WORKED_EXAMPLE_LINES.length} events`);
      const printed = await readOutcomesWithScript(WORKED_EXAMPLE_LINES.length);
      const byCreatedAt = new Map(printed.map((outcome) => [outcome.event?.created_at, outcome]));
      WORKED_EXAMPLE_LINES.forEach((line, index) => {
        const sent = JSON.parse(line) as { created_at: string };
        expect(byCreatedAt.get(sent.created_at)?.code, line).toBe(WORKED_EXAMPLE_CODES[index]);
      });

      const timeline = await fetch(`${service.baseUrl}/contracts/1234/timeline`);
      expect(await timeline.json()).toEqual(WORKED_EXAMPLE_TIMELINE);
      expect(await service.stop('SIGTERM')).toBe(0);
      expect(service.output()).not.toContain(kafka.password);
    } catch (error) {
      // A missing ACL shows in the service's log (e.g. a TRANSACTIONAL_ID_AUTHORIZATION_FAILED), not in the outcomes.
      const problems = service
        .output()
        .split('\n')
        .filter((line) => /"level":(40|50|60)/.test(line));
      console.error(`service warnings and errors:\n${problems.slice(-20).join('\n')}`);
      throw error;
    } finally {
      await service.stop('SIGKILL');
    }
  });

  it('holds exactly the ACLs docs/security.md lists, and the authorizer refuses what they do not grant', async () => {
    const principal = `User:${kafka.username}`;
    const topics = { eventsTopic: env.EVENTS_TOPIC!, outcomesTopic: env.OUTCOMES_TOPIC! };
    const granted = [
      ...serviceGrants({
        ...topics,
        groupId: env.KAFKA_GROUP_ID!,
        transactionalIdPrefix: env.KAFKA_GROUP_ID!,
        principal,
      }),
      ...scriptGrants({ ...topics, principal }),
    ];
    expect(await listAcls(kafka)).toEqual(aclLines(principal, granted));

    const client = createKafkaClient({
      clientId: 'secure-acl-test',
      brokers: [kafka.brokers],
      logger: createLogger('silent'),
      failFast: true,
      security: clientSecurity(),
    });
    // An operation it holds no ACL for on a topic it may read: the events topic's settings (DescribeConfigs is granted on outcomes only).
    await expect(client.topicMaxMessageBytes(env.EVENTS_TOPIC!)).rejects.toThrow(/TOPIC_AUTHORIZATION_FAILED/);
    // A topic it holds no ACL on at all: it cannot create it.
    await expect(
      client.ensureTopics([{ topic: `secure-${run}-not-granted`, partitions: 1, replicationFactor: 1 }]),
    ).rejects.toMatchObject({
      cause: { errors: [expect.objectContaining({ type: 'TOPIC_AUTHORIZATION_FAILED' })] },
    });
  });

  it('stops the consumer with one line naming the missing transactional-id ACL, and answers not ready, instead of retrying', async () => {
    // Every ACL docs/security.md lists, but for transactional ids with another prefix than the granted one.
    const prefix = `ungranted-${run}`;
    let text = '';
    const logger = createLogger('info', { write: (chunk: string) => void (text += chunk) });
    const config = inProcessConfig({
      EVENTS_TOPIC: env.EVENTS_TOPIC!,
      OUTCOMES_TOPIC: env.OUTCOMES_TOPIC!,
      TOPIC_PARTITIONS: env.TOPIC_PARTITIONS!,
      // Within the prefixed group grant.
      KAFKA_GROUP_ID: `secure-${run}-no-transactional-acl`,
      KAFKA_TRANSACTIONAL_ID_PREFIX: prefix,
    });
    const service = await startService(config, logger);
    const lines = () =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as LogLine & { err?: { message?: string } });
    try {
      await service.started;
      const client = createKafkaClient({
        clientId: 'secure-acl-producer',
        brokers: [kafka.brokers],
        logger: createLogger('silent'),
        security: clientSecurity(),
      });
      const publisher = await client.connectPublisher();
      await publisher.send(env.EVENTS_TOPIC!, [
        {
          key: 'acl-1',
          value: JSON.stringify({
            type: 'supply_energy_start',
            contract_number: 'acl-1',
            date: '2024-12-01',
            created_at: '2024-11-20T10:00:00Z',
          }),
          headers: {},
        },
      ]);
      await publisher.disconnect();
      const deadline = Date.now() + 60_000;
      while (!lines().some((line) => line.level === FATAL) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
      // Time for many attempts at RETRY_INITIAL_MS, had it kept retrying.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const api = `http://127.0.0.1:${(service.http.server.address() as AddressInfo).port}`;
      const ready = await fetch(`${api}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ details: { database: 'ok', kafka: 'ok', consumer: 'failing' } });
    } finally {
      await service.stop();
    }
    const fatal = lines().filter((line) => line.level === FATAL);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.err?.message).toMatch(
      new RegExp(
        `^TRANSACTIONAL_ID_AUTHORIZATION_FAILED: principal User:${kafka.username} lacks Write and Describe on TransactionalId ${prefix}-${env.EVENTS_TOPIC}-\\d+ \\(docs/security.md, Kafka ACLs\\)`,
      ),
    );
    // Tried once: no `publishing outcomes failed; retrying` line, no crash the consumer rejoined after.
    expect(lines().filter((line) => /failed; retrying|crashed; rejoining/.test(line.msg))).toEqual([]);
  });

  it('a wrong password is logged once, clearly and without the secret, while HTTP answers not ready and start-up keeps retrying', async () => {
    const password = 'not-the-password-5f2c91';
    let text = '';
    const logger = createLogger('debug', { write: (chunk: string) => void (text += chunk) });
    const config = inProcessConfig({ KAFKA_GROUP_ID: `secure-${run}-refused`, KAFKA_SASL_PASSWORD: password });
    const service = await startService(config, logger);
    try {
      const api = `http://127.0.0.1:${(service.http.server.address() as AddressInfo).port}`;
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const ready = await fetch(`${api}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ details: { database: 'ok', kafka: 'failing', consumer: 'failing' } });
    } finally {
      await service.stop();
    }

    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LogLine);
    const refusals = lines.filter((line) => line.msg.includes('Kafka refused'));
    expect(refusals).toEqual([
      expect.objectContaining({
        level: 50,
        msg:
          "Kafka refused the service's credentials (SASL SCRAM-SHA-512 authentication failed); " +
          'check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE); retrying',
      }),
    ]);
    // Besides it, only readiness saying once that Kafka and the consumer fail: no line per attempt, nothing from kafkajs.
    const loud = lines.filter((line) => line.level >= WARN && line !== refusals[0]).map((line) => line.msg);
    expect(loud.sort()).toEqual(['readiness: consumer is failing', 'readiness: kafka is failing']);
    // kafkajs's own account of each refused attempt is still there, at debug: start-up did keep trying.
    expect(
      lines.filter((line) => line.level < WARN && /SASL SCRAM SHA512 authentication failed/.test(line.msg)).length,
    ).toBeGreaterThan(5);
    expect(text).not.toContain(password);
    // The user name is a secret too (docs/configuration.md).
    expect(text).not.toContain(kafka.username);
  });
});

/** The client user's TLS and SASL settings, for a Kafka client of the test's own. */
const clientSecurity = (): KafkaSecurity => ({
  ssl: { ca: kafka.caPem, rejectUnauthorized: true },
  sasl: { mechanism: 'scram-sha-512', username: kafka.username, password: kafka.password },
});

/** The service's settings for a start in this process: the secure broker's, inline, then `settings`. */
function inProcessConfig(settings: Record<string, string>) {
  return loadConfig({
    KAFKA_BROKERS: kafka.brokers,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA: kafka.caPem,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: kafka.username,
    KAFKA_SASL_PASSWORD: kafka.password,
    DATABASE_URL: db.url,
    HTTP_PORT: '0',
    // Many attempts within a test's few seconds.
    RETRY_INITIAL_MS: '50',
    RETRY_MAX_MS: '200',
    ...settings,
  });
}

/** `npm run outcomes` (read_committed, then exits once quiet), parsed one JSON outcome per line. */
async function readOutcomesWithScript(expected: number) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const output = await runScript('scripts/outcomes.ts', [], env);
    const outcomes = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => outcomeMessageSchema.parse(JSON.parse(line)));
    if (outcomes.length >= expected || Date.now() > deadline) return outcomes;
  }
}
