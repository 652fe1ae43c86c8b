import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

// Where the launcher keeps everything that must never live in the repository:
// fetched Kafka jars, data of the local broker and database, logs, pid files.

/** Ports of the local development infrastructure (`npm run infra:up`, `npm run dev`). */
export const LOCAL_PORTS = { kafka: 9092, kafkaController: 9093, postgres: 5433 } as const;

export const LOCAL_KAFKA_BROKERS = `127.0.0.1:${LOCAL_PORTS.kafka}`;
export const LOCAL_DATABASE_URL = `postgresql://postgres:postgres@127.0.0.1:${LOCAL_PORTS.postgres}/contract_events`;

/** `${CONTRACT_EVENTS_HOME:-~/.cache/contract-events-service}` (empty counts as unset). */
export function stateHome(): string {
  const configured = process.env.CONTRACT_EVENTS_HOME;
  return resolve(configured ? configured : join(homedir(), '.cache', 'contract-events-service'));
}

/** Cache of one Kafka version: pom.xml, libs/, log4j2.xml. */
export function kafkaDistDir(version: string): string {
  return join(stateHome(), 'kafka', version);
}

/** Data, logs and pid files of the long-lived local infrastructure. */
export function localInfraDir(): string {
  return join(stateHome(), 'infra');
}

export const localFiles = {
  kafkaData: () => join(localInfraDir(), 'kafka-data'),
  kafkaLog: () => join(localInfraDir(), 'kafka.log'),
  kafkaPid: () => join(localInfraDir(), 'kafka.pid'),
  postgresLog: () => join(localInfraDir(), 'postgres.log'),
  postgresPid: () => join(localInfraDir(), 'postgres.pid'),
  postgresData: (): string => {
    const preferred = join(localInfraDir(), 'postgres-data');
    // Postgres refuses to run as root, so as root it runs as the `postgres`
    // user, which cannot enter a private home such as /root (mode 0700).
    // Then the data lives in /var/tmp, which survives reboots.
    if (!isRoot() || reachableByOthers(preferred)) return preferred;
    return join('/var/tmp', 'contract-events-service', 'postgres-data');
  },
};

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** True when every existing ancestor of `path` can be traversed by any user. */
export function reachableByOthers(path: string): boolean {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return false;
    if (dirname(dir) === dir) return true;
  }
}
