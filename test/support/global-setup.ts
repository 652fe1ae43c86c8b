import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startKafka } from '../../scripts/infra/kafka.js';
import { dropDatabase, ensureDatabase, withDatabase } from '../../scripts/infra/pg-admin.js';
import { startPostgres } from '../../scripts/infra/postgres.js';
import { getFreePorts, seconds } from '../../scripts/infra/wait.js';
import './provided.js';

// One real Kafka and one real Postgres for the whole integration/e2e run, from
// (a) the environment, (b) Docker via testcontainers, or (c) the local launcher
// on free ports. Every run gets a fresh empty database; tests migrate it.

interface Infra {
  description: string;
  kafkaBrokers: string;
  /** Any database on the server; used to create and drop the run's database. */
  serverUrl: string;
  /** True when the server outlives the run, so the run's database must be dropped. */
  external: boolean;
  stop(): Promise<void>;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const infra = await provideInfra();
  const database = `contract_events_test_${randomBytes(4).toString('hex')}`;
  try {
    await ensureDatabase(infra.serverUrl, database);
  } catch (error) {
    await infra.stop();
    throw error;
  }
  project.provide('kafkaBrokers', infra.kafkaBrokers);
  project.provide('databaseUrl', withDatabase(infra.serverUrl, database));
  console.log(
    `[global-setup] ${infra.description}; Kafka ${infra.kafkaBrokers}, database ${database}; ready in ${seconds(started)}`,
  );

  return async () => {
    if (infra.external) {
      await dropDatabase(infra.serverUrl, database).catch((error: unknown) =>
        console.warn(`[global-setup] could not drop ${database}: ${String(error)}`),
      );
    }
    await infra.stop();
  };
}

async function provideInfra(): Promise<Infra> {
  const kafkaBrokers = process.env.KAFKA_BROKERS;
  const databaseUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (kafkaBrokers && databaseUrl) {
    return {
      description: 'using KAFKA_BROKERS and (TEST_)DATABASE_URL from the environment',
      kafkaBrokers,
      serverUrl: databaseUrl,
      external: true,
      stop: async () => {},
    };
  }
  if (dockerAvailable()) return fromTestcontainers();
  return fromLocalLauncher();
}

function dockerAvailable(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** (b) Containers; imported lazily so machines without Docker never load testcontainers. */
async function fromTestcontainers(): Promise<Infra> {
  const [{ KafkaContainer }, { PostgreSqlContainer }] = await Promise.all([
    import('@testcontainers/kafka'),
    import('@testcontainers/postgresql'),
  ]);
  const [kafka, postgres] = await Promise.all([
    // cp-kafka 8.x is Apache Kafka 4.x in KRaft mode.
    new KafkaContainer(process.env.TEST_KAFKA_IMAGE || 'confluentinc/cp-kafka:8.0.0')
      .withEnvironment({
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        KAFKA_NUM_PARTITIONS: '3',
      })
      .start(),
    new PostgreSqlContainer(process.env.TEST_POSTGRES_IMAGE || 'postgres:17-alpine')
      .withUsername('postgres')
      .withPassword('postgres')
      .start(),
  ]);
  return {
    description: 'using Docker (testcontainers)',
    kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    serverUrl: postgres.getConnectionUri(),
    external: false,
    stop: async () => {
      await Promise.all([kafka.stop(), postgres.stop()]);
    },
  };
}

/** (c) The same Kafka and Postgres as `npm run dev`, on free ports with throw-away data. */
async function fromLocalLauncher(): Promise<Infra> {
  const base = mkdtempSync(join(tmpdir(), 'contract-events-test-'));
  chmodSync(base, 0o755); // as root, Postgres runs as user postgres and must enter it
  // If vitest is interrupted, teardown never runs: the launcher signals its
  // children on exit, and the throw-away data goes too.
  const removeBase = () => rmSync(base, { recursive: true, force: true });
  process.once('exit', removeBase);
  const [kafkaPort, controllerPort, postgresPort] = (await getFreePorts(3)) as [number, number, number];
  const [kafka, postgres] = await Promise.allSettled([
    startKafka({ port: kafkaPort, controllerPort, dataDir: join(base, 'kafka'), logFile: join(base, 'kafka.log') }),
    startPostgres({
      port: postgresPort,
      dataDir: join(base, 'postgres'),
      logFile: join(base, 'postgres.log'),
      persistent: false,
    }),
  ]);
  const stop = async () => {
    await Promise.all(
      [kafka, postgres].map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)),
    );
    removeBase();
    process.off('exit', removeBase);
  };
  if (kafka.status === 'rejected' || postgres.status === 'rejected') {
    await stop();
    throw kafka.status === 'rejected' ? kafka.reason : (postgres as PromiseRejectedResult).reason;
  }
  return {
    description: 'using the local launcher (no Docker)',
    kafkaBrokers: kafka.value.brokers,
    serverUrl: postgres.value.url,
    external: false,
    stop,
  };
}
