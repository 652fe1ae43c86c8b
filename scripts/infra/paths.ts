import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

// Where the launcher keeps everything that must never live in the repository:
// fetched Kafka jars, data of the local broker and database, logs, pid files.

/** Ports of the local development infrastructure (`npm run infra:up`, `npm run dev`). */
export const LOCAL_PORTS = { kafka: 9092, kafkaController: 9093, postgres: 5433 } as const;

export const LOCAL_KAFKA_BROKERS = `127.0.0.1:${LOCAL_PORTS.kafka}`;

/**
 * Ports of node `nodeId` (1, 2, …) of the local multi-broker cluster
 * (`npm run infra:up -- --brokers 3`): node 1 takes the single broker's ports,
 * so the service's default KAFKA_BROKERS reaches the cluster too.
 */
export function localClusterPorts(nodeId: number): { port: number; controllerPort: number } {
  return { port: LOCAL_PORTS.kafka + 2 * (nodeId - 1), controllerPort: LOCAL_PORTS.kafkaController + 2 * (nodeId - 1) };
}
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
  /**
   * The secure broker (`npm run infra:up -- --secure`): data of its own, as its
   * SCRAM users exist only from the storage format on; it also holds their 0600 password files.
   */
  kafkaSecureData: () => join(localInfraDir(), 'kafka-secure-data'),
  kafkaSecureLog: () => join(localInfraDir(), 'kafka-secure.log'),
  kafkaSecurePid: () => join(localInfraDir(), 'kafka-secure.pid'),
  /** The secure broker's CA (`ca.pem`, for clients) and its PKCS12 key and trust stores. */
  kafkaTls: () => join(localInfraDir(), 'kafka-tls'),
  /** The multi-broker cluster: data folder `node-<n>/`, `kafka-<n>.log` and `node-<n>.pid` of each node. */
  kafkaClusterDir: () => join(localInfraDir(), 'kafka-cluster'),
  kafkaNodeLog: (nodeId: number) => join(localInfraDir(), 'kafka-cluster', `kafka-${nodeId}.log`),
  kafkaNodePid: (nodeId: number) => join(localInfraDir(), 'kafka-cluster', `node-${nodeId}.pid`),
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
