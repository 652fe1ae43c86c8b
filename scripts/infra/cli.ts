import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaAnswers, startKafka, startKafkaCluster, startKafkaClusterNode, type KafkaClusterOptions } from './kafka.js';
import { postgresAnswers } from './pg-admin.js';
import { LOCAL_DATABASE_URL, LOCAL_KAFKA_BROKERS, LOCAL_PORTS, localClusterPorts, localFiles, localInfraDir } from './paths.js';
import { startPostgres } from './postgres.js';
import { commandLineContains, isAlive, readPidFile, removePidFile, stopProcess, writePidFile } from './process.js';
import { isPortListening, seconds } from './wait.js';

// `npm run infra:up | infra:down | infra:status`: the local Kafka and Postgres
// as background processes that outlive this command, with pid files and logs
// under the state directory and data kept between runs.
// `npm run infra:up -- --brokers 3` runs a Kafka cluster of three KRaft nodes
// (each broker and controller) instead of the single broker; infra:down and
// infra:status find whichever of the two runs.

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
  commandMarker: 'kafka.Kafka',
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

const services: Service[] = [kafkaService, postgresService];

/** The local cluster's layout: node n on localClusterPorts(n), its data, log and pid file in one folder. */
function clusterOptions(nodes: number): KafkaClusterOptions {
  const dir = localFiles.kafkaClusterDir();
  return { nodes, ports: Array.from({ length: nodes }, (_, i) => localClusterPorts(i + 1)), dataDir: dir, logDir: dir, detached: true };
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
  return knownClusterNodes().filter((id) => existsSync(join(localFiles.kafkaClusterDir(), `node-${id}`, 'kraft', 'meta.properties')));
}

const clusterNodeServices = (nodeIds: readonly number[]) => nodeIds.map((id) => clusterNodeService(nodeIds.length, id));
const runningClusterNodes = () => clusterNodeServices(knownClusterNodes()).filter((node) => runningPid(node) !== undefined);

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
      console.log(`${service.name} already answers on port ${service.port} (not started by infra:up; leaving it alone).`);
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
  const owner = pid === undefined ? (answering ? 'running, not started by infra:up' : 'not running') : `running (pid ${pid})`;
  console.log(`${service.name.padEnd(width)} ${owner}${answering ? ', answering' : pid === undefined ? '' : ', NOT answering'} — log ${service.logFile}`);
}

/** Starts the cluster, or the nodes of it that are not running (each on its own data). */
async function upCluster(nodes: number): Promise<void> {
  if (runningPid(kafkaService) !== undefined) {
    throw new Error(`The single Kafka broker of infra:up runs on port ${LOCAL_PORTS.kafka}: stop it with \`npm run infra:down\` before starting a cluster.`);
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
      if (await isPortListening(taken)) throw new Error(`Port ${taken} of ${member.name} is taken (another Kafka, perhaps \`npm run dev\`'s): free it first.`);
    }
  }
  if (missing.length === members.length) {
    const cluster = await startKafkaCluster(clusterOptions(nodes));
    for (const node of cluster.nodes) if (node.pid !== undefined) writePidFile(localFiles.kafkaNodePid(node.nodeId), node.pid);
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

/** `--brokers N` / `--brokers=N`: undefined when absent, NaN when not a number of nodes from 1 to 9. */
function brokersOption(args: readonly string[]): number | undefined {
  const index = args.findIndex((arg) => arg === '--brokers' || arg.startsWith('--brokers='));
  if (index < 0) return undefined;
  const count = Number(args[index]!.includes('=') ? args[index]!.slice('--brokers='.length) : args[index + 1]);
  return Number.isInteger(count) && count >= 1 && count <= 9 ? count : Number.NaN;
}

async function main(command: string | undefined, args: readonly string[]): Promise<void> {
  mkdirSync(localInfraDir(), { recursive: true });
  const brokers = brokersOption(args);
  if (Number.isNaN(brokers)) {
    console.error('--brokers wants a number of Kafka nodes from 1 to 9 (e.g. `npm run infra:up -- --brokers 3`).');
    process.exitCode = 2;
    return;
  }
  switch (command) {
    case 'up': {
      const started = Date.now();
      const nodes = brokers ?? 1;
      const cluster = runningClusterNodes();
      if (nodes === 1 && cluster.length > 0) {
        console.error(`A Kafka cluster started by \`npm run infra:up -- --brokers N\` runs (${cluster.map((node) => node.name).join(', ')}): stop it with \`npm run infra:down\` first.`);
        process.exitCode = 1;
        return;
      }
      // Both at once: the JVMs and initdb are independent and each take seconds.
      const results = await Promise.allSettled(nodes === 1 ? services.map(up) : [upCluster(nodes), up(postgresService)]);
      const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failures.length > 0) {
        for (const failure of failures) console.error(String(failure.reason instanceof Error ? failure.reason.message : failure.reason));
        console.error('\nSome infrastructure did not start; `npm run infra:down` stops what did.');
        process.exitCode = 1;
        return;
      }
      console.log(`Infrastructure up in ${seconds(started)}.`);
      printSettings(nodes);
      return;
    }
    case 'down': {
      // Whichever Kafka runs (the single broker or every node of a cluster), and Postgres.
      const stopped = await Promise.all([...services, ...clusterNodeServices(knownClusterNodes())].map(down));
      if (!stopped.some(Boolean)) console.log('Nothing started by infra:up is running.');
      return;
    }
    case 'status': {
      // The cluster's nodes when some run, or when asked for and the single broker does not run; otherwise the single broker, as always.
      const nodeIds = brokers !== undefined && brokers > 1 ? Array.from({ length: brokers }, (_, i) => i + 1) : knownClusterNodes();
      const cluster = clusterNodeServices(nodeIds);
      const showCluster = cluster.some((node) => runningPid(node) !== undefined) || (brokers !== undefined && brokers > 1 && runningPid(kafkaService) === undefined);
      const shown = showCluster ? [...cluster, postgresService] : services;
      const width = Math.max(9, ...shown.map((service) => service.name.length));
      for (const service of shown) await status(service, width);
      if (showCluster) console.log(`Kafka cluster bootstrap: ${cluster.map((node) => `127.0.0.1:${node.port}`).join(',')}`);
      return;
    }
    default:
      console.error('usage: tsx scripts/infra/cli.ts up|down|status [--brokers N]');
      process.exitCode = 2;
  }
}

await main(process.argv[2], process.argv.slice(3));
