import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  kafkaAnswers,
  secureKafkaAccess,
  startKafka,
  startKafkaCluster,
  startKafkaClusterNode,
  type KafkaClusterOptions,
  type SecureKafkaAccess,
  type SecureKafkaOptions,
} from './kafka.js';
import { postgresAnswers } from './pg-admin.js';
import {
  LOCAL_DATABASE_URL,
  LOCAL_KAFKA_BROKERS,
  LOCAL_PORTS,
  localClusterPorts,
  localFiles,
  localInfraDir,
} from './paths.js';
import { startPostgres } from './postgres.js';
import { commandLineContains, isAlive, readPidFile, removePidFile, stopProcess, writePidFile } from './process.js';
import { isPortListening, seconds } from './wait.js';

// `npm run infra:up | infra:down | infra:status`: the local Kafka and Postgres
// as background processes that outlive this command, with pid files and logs
// under the state directory and data kept between runs.
// `npm run infra:up -- --brokers 3` runs a Kafka cluster of three KRaft nodes
// (each broker and controller) instead of the single broker; infra:down and
// infra:status find whichever of the two runs.
// `npm run infra:up -- --secure` runs the single broker with a SASL_SSL client
// listener (TLS with a CA of its own, SCRAM-SHA-512) on the same port instead;
// its stdout is then only the settings, as lines a shell can source:
//   set -a; . <(npm run -s infra:up -- --secure); set +a
// and everything else it says goes to stderr (`-s` keeps npm's banner off stdout).

interface Service {
  name: string;
  pidFile: string;
  logFile: string;
  /** Text expected in the process command line, so a stale pid file never kills a stranger. */
  commandMarker: string;
  port: number;
  stopSignal: NodeJS.Signals;
  answers(): Promise<boolean>;
  start(): Promise<number | undefined>;
}

const kafkaService: Service = {
  name: 'Kafka',
  pidFile: localFiles.kafkaPid(),
  logFile: localFiles.kafkaLog(),
  // Its own properties file: the secure broker's command line names kafka.Kafka too.
  commandMarker: join(localFiles.kafkaData(), 'server.properties'),
  port: LOCAL_PORTS.kafka,
  stopSignal: 'SIGTERM',
  answers: () => kafkaAnswers(LOCAL_KAFKA_BROKERS),
  start: async () =>
    (
      await startKafka({
        port: LOCAL_PORTS.kafka,
        controllerPort: LOCAL_PORTS.kafkaController,
        dataDir: localFiles.kafkaData(),
        logFile: localFiles.kafkaLog(),
        detached: true,
      })
    ).pid,
};

/** The secure broker's client user and certificates. */
const secureKafka: SecureKafkaOptions = { username: 'contract-events', tlsDir: localFiles.kafkaTls() };

/** The secure broker's credentials, once its storage has them. */
const localSecureAccess = (): SecureKafkaAccess | undefined =>
  secureKafkaAccess(localFiles.kafkaSecureData(), secureKafka);

const secureKafkaService: Service = {
  name: 'Kafka (secure)',
  pidFile: localFiles.kafkaSecurePid(),
  logFile: localFiles.kafkaSecureLog(),
  commandMarker: join(localFiles.kafkaSecureData(), 'server.properties'),
  port: LOCAL_PORTS.kafka,
  stopSignal: 'SIGTERM',
  answers: async () => {
    const access = localSecureAccess();
    return access !== undefined && (await kafkaAnswers(LOCAL_KAFKA_BROKERS, access));
  },
  start: async () =>
    (
      await startKafka({
        port: LOCAL_PORTS.kafka,
        controllerPort: LOCAL_PORTS.kafkaController,
        dataDir: localFiles.kafkaSecureData(),
        logFile: localFiles.kafkaSecureLog(),
        detached: true,
        secure: secureKafka,
      })
    ).pid,
};

const postgresService: Service = {
  name: 'Postgres',
  pidFile: localFiles.postgresPid(),
  logFile: localFiles.postgresLog(),
  commandMarker: 'postgres',
  port: LOCAL_PORTS.postgres,
  stopSignal: 'SIGINT', // Postgres' "fast" shutdown; SIGTERM would wait for every client to leave
  answers: () => postgresAnswers(LOCAL_DATABASE_URL),
  start: async () =>
    (
      await startPostgres({
        port: LOCAL_PORTS.postgres,
        dataDir: localFiles.postgresData(),
        logFile: localFiles.postgresLog(),
        persistent: true,
        detached: true,
      })
    ).pid,
};

/** The single broker, plaintext or secure, and Postgres. */
const singleBrokerServices = (secure: boolean): Service[] => [
  secure ? secureKafkaService : kafkaService,
  postgresService,
];

/** The local cluster's layout: node n on localClusterPorts(n), its data, log and pid file in one folder. */
function clusterOptions(nodes: number): KafkaClusterOptions {
  const dir = localFiles.kafkaClusterDir();
  return {
    nodes,
    ports: Array.from({ length: nodes }, (_, i) => localClusterPorts(i + 1)),
    dataDir: dir,
    logDir: dir,
    detached: true,
  };
}

interface ClusterNodeService extends Service {
  controllerPort: number;
}

/** One node of the local cluster as a service (its start only joins a cluster that is up or starting). */
function clusterNodeService(nodes: number, nodeId: number): ClusterNodeService {
  const { port, controllerPort } = localClusterPorts(nodeId);
  return {
    controllerPort,
    name: `Kafka node ${nodeId}`,
    pidFile: localFiles.kafkaNodePid(nodeId),
    logFile: localFiles.kafkaNodeLog(nodeId),
    // The node's own properties file, so one node's pid file never stops another.
    commandMarker: join(`node-${nodeId}`, 'server.properties'),
    port,
    stopSignal: 'SIGTERM',
    answers: () => kafkaAnswers(`127.0.0.1:${port}`),
    start: async () => (await startKafkaClusterNode(clusterOptions(nodes), nodeId)).pid,
  };
}

/** Node ids with a pid file or data in the cluster folder (a cluster that ran here before). */
function knownClusterNodes(): number[] {
  const dir = localFiles.kafkaClusterDir();
  if (!existsSync(dir)) return [];
  const ids = new Set<number>();
  for (const name of readdirSync(dir)) {
    const match = /^node-(\d+)(\.pid)?$/.exec(name);
    if (match) ids.add(Number(match[1]));
  }
  return [...ids].sort((a, b) => a - b);
}

/** Nodes of the cluster folder whose storage is formatted. */
function formattedClusterNodes(): number[] {
  return knownClusterNodes().filter((id) =>
    existsSync(join(localFiles.kafkaClusterDir(), `node-${id}`, 'kraft', 'meta.properties')),
  );
}

const clusterNodeServices = (nodeIds: readonly number[]) => nodeIds.map((id) => clusterNodeService(nodeIds.length, id));
const runningClusterNodes = () =>
  clusterNodeServices(knownClusterNodes()).filter((node) => runningPid(node) !== undefined);

/** The pid from the pid file when that process is still ours and alive. */
function runningPid(service: Service): number | undefined {
  const pid = readPidFile(service.pidFile);
  if (pid !== undefined && isAlive(pid) && commandLineContains(pid, service.commandMarker)) return pid;
  if (pid !== undefined) removePidFile(service.pidFile); // stale
  return undefined;
}

async function up(service: Service): Promise<void> {
  const pid = runningPid(service);
  if (pid !== undefined) {
    console.log(`${service.name} already running (pid ${pid}).`);
    return;
  }
  if (await isPortListening(service.port)) {
    // Started by someone else (e.g. `npm run dev`): fine if it answers.
    if (await service.answers()) {
      console.log(
        `${service.name} already answers on port ${service.port} (not started by infra:up; leaving it alone).`,
      );
      return;
    }
    throw new Error(`Port ${service.port} is taken by something that is not a working ${service.name}.`);
  }
  const started = await service.start();
  if (started !== undefined) writePidFile(service.pidFile, started);
}

async function down(service: Service): Promise<boolean> {
  const pid = runningPid(service);
  if (pid === undefined) return false;
  const started = Date.now();
  await stopProcess(pid, service.stopSignal, 30_000);
  removePidFile(service.pidFile);
  console.log(`Stopped ${service.name} (pid ${pid}) in ${seconds(started)}.`);
  return true;
}

async function status(service: Service, width: number): Promise<void> {
  const pid = runningPid(service);
  const answering = await service.answers();
  const owner =
    pid === undefined ? (answering ? 'running, not started by infra:up' : 'not running') : `running (pid ${pid})`;
  console.log(
    `${service.name.padEnd(width)} ${owner}${answering ? ', answering' : pid === undefined ? '' : ', NOT answering'} — log ${service.logFile}`,
  );
}

/** Starts the cluster, or the nodes of it that are not running (each on its own data). */
async function upCluster(nodes: number): Promise<void> {
  const single = [kafkaService, secureKafkaService].find((broker) => runningPid(broker) !== undefined);
  if (single) {
    const kind = single === secureKafkaService ? 'secure single' : 'single';
    throw new Error(
      `The ${kind} Kafka broker of infra:up runs on port ${LOCAL_PORTS.kafka}: stop it with \`npm run infra:down\` before starting a cluster.`,
    );
  }
  const formatted = formattedClusterNodes();
  if (formatted.length > 0 && formatted.length !== nodes) {
    throw new Error(
      `${localFiles.kafkaClusterDir()} holds a cluster of ${formatted.length} nodes: use --brokers ${formatted.length}, or delete that folder (its topics go too) for a cluster of ${nodes}.`,
    );
  }
  const members = clusterNodeServices(Array.from({ length: nodes }, (_, i) => i + 1));
  const missing = members.filter((member) => runningPid(member) === undefined);
  if (missing.length === 0) {
    console.log(`Kafka cluster of ${nodes} already running (pids ${members.map(runningPid).join(', ')}).`);
    return;
  }
  for (const member of missing) {
    for (const taken of [member.port, member.controllerPort]) {
      if (await isPortListening(taken))
        throw new Error(
          `Port ${taken} of ${member.name} is taken (another Kafka, perhaps \`npm run dev\`'s): free it first.`,
        );
    }
  }
  if (missing.length === members.length) {
    const cluster = await startKafkaCluster(clusterOptions(nodes));
    for (const node of cluster.nodes)
      if (node.pid !== undefined) writePidFile(localFiles.kafkaNodePid(node.nodeId), node.pid);
    return;
  }
  // Some nodes run: start the others, together (a quorum may need more than one of them back).
  await Promise.all(
    missing.map(async (member) => {
      const pid = await member.start();
      if (pid !== undefined) writePidFile(member.pidFile, pid);
    }),
  );
}

function printSettings(brokers: number): void {
  const kafka =
    brokers === 1
      ? `Use these settings (they are also the service's defaults):
  KAFKA_BROKERS=${LOCAL_KAFKA_BROKERS}`
      : `Use these settings (the default KAFKA_BROKERS, ${LOCAL_KAFKA_BROKERS}, bootstraps from node 1 alone):
  KAFKA_BROKERS=${Array.from({ length: brokers }, (_, i) => `127.0.0.1:${localClusterPorts(i + 1).port}`).join(',')}
  TOPIC_REPLICATION_FACTOR=${Math.min(brokers, 3)}`;
  console.log(`\n${kafka}
  DATABASE_URL=${LOCAL_DATABASE_URL}
Data, logs and pid files: ${localInfraDir()} (Postgres data: ${localFiles.postgresData()}${brokers === 1 ? '' : `; Kafka nodes: ${localFiles.kafkaClusterDir()}`})
Stop with: npm run infra:down`);
}

/** The secure broker's settings as `KEY=value` lines for a shell to source (nothing else on stdout). */
function printSecureSettings(): void {
  const access = localSecureAccess();
  if (!access)
    throw new Error(`The secure Kafka broker runs without its credentials in ${localFiles.kafkaSecureData()}.`);
  const settings = {
    KAFKA_BROKERS: LOCAL_KAFKA_BROKERS,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: access.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: access.username,
    // A file, so the password stays out of the environment listing and shell history.
    KAFKA_SASL_PASSWORD_FILE: access.passwordFile,
    DATABASE_URL: LOCAL_DATABASE_URL,
  };
  process.stdout.write(
    Object.entries(settings)
      .map(([key, value]) => `${key}=${shellWord(value)}\n`)
      .join(''),
  );
  console.error(`Load them with: set -a; . <(npm run -s infra:up -- --secure); set +a
Data, logs and pid files: ${localInfraDir()} (Postgres data: ${localFiles.postgresData()})
Stop with: npm run infra:down`);
}

/** `value` as one shell word: as is when it holds nothing a shell would interpret, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w./:@,+=%-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `--brokers N` / `--brokers=N`: undefined when absent, NaN when not a number of nodes from 1 to 9. */
function brokersOption(args: readonly string[]): number | undefined {
  const index = args.findIndex((arg) => arg === '--brokers' || arg.startsWith('--brokers='));
  if (index < 0) return undefined;
  const count = Number(args[index]!.includes('=') ? args[index]!.slice('--brokers='.length) : args[index + 1]);
  return Number.isInteger(count) && count >= 1 && count <= 9 ? count : Number.NaN;
}

/** Why the single broker asked for cannot start next to what runs, if it cannot. */
function singleBrokerConflict(secure: boolean): string | undefined {
  const cluster = runningClusterNodes();
  if (cluster.length > 0) {
    return `A Kafka cluster started by \`npm run infra:up -- --brokers N\` runs (${cluster.map((node) => node.name).join(', ')}): stop it with \`npm run infra:down\` first.`;
  }
  const [other, wanted] = secure ? ['plaintext', 'secure'] : ['secure', 'plaintext'];
  if (runningPid(secure ? kafkaService : secureKafkaService) !== undefined) {
    const stop = `stop it with \`npm run infra:down\` before starting the ${wanted} one`;
    return `The ${other} Kafka broker of infra:up runs on port ${LOCAL_PORTS.kafka}: ${stop}.`;
  }
  return undefined;
}

async function main(command: string | undefined, args: readonly string[]): Promise<void> {
  mkdirSync(localInfraDir(), { recursive: true });
  const brokers = brokersOption(args);
  const secure = args.includes('--secure');
  if (Number.isNaN(brokers)) {
    console.error('--brokers wants a number of Kafka nodes from 1 to 9 (e.g. `npm run infra:up -- --brokers 3`).');
    process.exitCode = 2;
    return;
  }
  if (secure && brokers !== undefined && brokers > 1) {
    console.error('--secure runs a single Kafka broker; a secure cluster (--brokers N) is not supported.');
    process.exitCode = 2;
    return;
  }
  switch (command) {
    case 'up': {
      // Keeps stdout for the settings alone; the launcher's modules report progress with console.log.
      if (secure) console.log = console.error;
      const started = Date.now();
      const nodes = brokers ?? 1;
      const conflict = nodes === 1 ? singleBrokerConflict(secure) : undefined;
      if (conflict) {
        console.error(conflict);
        process.exitCode = 1;
        return;
      }
      // Both at once: the JVMs and initdb are independent and each take seconds.
      const starts = nodes === 1 ? singleBrokerServices(secure).map(up) : [upCluster(nodes), up(postgresService)];
      const results = await Promise.allSettled(starts);
      const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failures.length > 0) {
        for (const failure of failures)
          console.error(String(failure.reason instanceof Error ? failure.reason.message : failure.reason));
        console.error('\nSome infrastructure did not start; `npm run infra:down` stops what did.');
        process.exitCode = 1;
        return;
      }
      console.log(`Infrastructure up in ${seconds(started)}.`);
      if (secure) printSecureSettings();
      else printSettings(nodes);
      return;
    }
    case 'down': {
      // Whichever Kafka runs (the single broker, plaintext or secure, or every node of a cluster), and Postgres.
      const single = [kafkaService, secureKafkaService, postgresService];
      const stopped = await Promise.all([...single, ...clusterNodeServices(knownClusterNodes())].map(down));
      if (!stopped.some(Boolean)) console.log('Nothing started by infra:up is running.');
      return;
    }
    case 'status': {
      // The cluster's nodes when some run, or when asked for and the single broker does not run; otherwise the single broker, as always.
      const nodeIds =
        brokers !== undefined && brokers > 1 ? Array.from({ length: brokers }, (_, i) => i + 1) : knownClusterNodes();
      const cluster = clusterNodeServices(nodeIds);
      const showCluster =
        cluster.some((node) => runningPid(node) !== undefined) ||
        (brokers !== undefined && brokers > 1 && runningPid(kafkaService) === undefined);
      // The secure broker when it runs or is asked for; otherwise the plaintext one, as always.
      const showSecure = !showCluster && (secure || runningPid(secureKafkaService) !== undefined);
      const shown = showCluster ? [...cluster, postgresService] : singleBrokerServices(showSecure);
      const width = Math.max(9, ...shown.map((service) => service.name.length));
      for (const service of shown) await status(service, width);
      if (showCluster)
        console.log(`Kafka cluster bootstrap: ${cluster.map((node) => `127.0.0.1:${node.port}`).join(',')}`);
      if (showSecure) {
        console.log(`Kafka (secure): ${LOCAL_KAFKA_BROKERS}, SASL_SSL, SCRAM-SHA-512 user ${secureKafka.username}`);
        console.log('Its settings: npm run -s infra:up -- --secure');
      }
      return;
    }
    default:
      console.error('usage: tsx scripts/infra/cli.ts up|down|status [--brokers N | --secure]');
      process.exitCode = 2;
  }
}

await main(process.argv[2], process.argv.slice(3));
