import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createKafkaClient } from '../../src/kafka/kafkajs/client.js';
import type { KafkaSecurity } from '../../src/kafka/port.js';
import { createLogger } from '../../src/observability/logger.js';
import { ensureKafkaJars, KAFKA_VERSION } from './kafka-jars.js';
import { caFileIn, ensureBrokerTls, writePrivateFile, type BrokerTls } from './kafka-tls.js';
import { exited, isAlive, spawnLogged, stopProcess } from './process.js';
import { getFreePorts, isPortListening, seconds, tailFile, waitFor } from './wait.js';

// A real Apache Kafka (KRaft, combined broker + controller nodes) run from the
// jars in the user cache: the same broker the service meets in production,
// without Docker. `startKafka` runs one node; `startKafkaCluster` runs several
// nodes that form one controller quorum and replicate every topic. A single
// node may instead be secure: clients meet TLS and SCRAM-SHA-512 (SASL_SSL),
// as on a managed Kafka.

export { ensureKafkaJars, KAFKA_VERSION };

export interface KafkaOptions {
  port: number;
  controllerPort: number;
  /** Holds server.properties and the KRaft log; formatted on first use, reused afterwards. */
  dataDir: string;
  logFile: string;
  /** Keep running after this process exits (infra:up). */
  detached?: boolean;
  startTimeoutMs?: number;
  /** SASL_SSL with SCRAM-SHA-512 instead of PLAINTEXT for clients; `dataDir` must be a secure broker's or new. */
  secure?: SecureKafkaOptions;
}

/** How a secure broker meets clients. */
export interface SecureKafkaOptions {
  /** The clients' SCRAM user; created, with a random password, when the storage is formatted. */
  username: string;
  /** Holds the CA (`ca.pem`, for clients) and the broker's PKCS12 stores: made once, reused. */
  tlsDir: string;
  /**
   * Turn on KRaft's StandardAuthorizer with no ACL meaning no access, so a
   * client needs ACLs for everything it touches (default false: any
   * authenticated client may do anything). The broker's own user is the super
   * user that can create ACLs (`RunningKafka.superUser`).
   */
  authorizer?: boolean;
}

/** What a client needs to reach a secure broker. */
export interface SecureKafkaAccess {
  username: string;
  password: string;
  /** The file (mode 0600) holding `password`. */
  passwordFile: string;
  /** The CA certificate (PEM) that signed the broker's certificate. */
  caFile: string;
}

export interface RunningKafka {
  brokers: string;
  pid: number;
  /** Present when the broker is secure. */
  secure?: SecureKafkaAccess;
  /** The broker's own SCRAM login, a super user: present when the broker is secure with `authorizer`. */
  superUser?: { username: string; password: string };
  stop(): Promise<void>;
}

/** The ports of one node: Kafka clients use `port`, the controller quorum `controllerPort`. */
export interface KafkaNodePorts {
  port: number;
  controllerPort: number;
}

/** One combined broker + controller node and the quorum it belongs to. */
interface KafkaNode extends KafkaNodePorts {
  nodeId: number;
  /** Holds server.properties and the KRaft log (`kraft/`). */
  dataDir: string;
  logFile: string;
  /** Every controller of the quorum, this node included, in node id order. */
  quorum: readonly (KafkaNodePorts & { nodeId: number })[];
  security?: NodeSecurity;
}

interface ScramLogin {
  username: string;
  password: string;
}

/** A secure node's TLS stores, its own SCRAM login for inter-broker traffic, and the clients' access. */
interface NodeSecurity {
  tls: BrokerTls;
  interBroker: ScramLogin;
  client: SecureKafkaAccess;
  authorizer: boolean;
}

/** The broker's own SCRAM user: inter-broker traffic uses the SASL_SSL listener too. */
const INTER_BROKER_USER = 'kafka-broker';

const HOST = '127.0.0.1';
const address = (port: number) => `${HOST}:${port}`;
const kraftDir = (node: KafkaNode) => join(node.dataDir, 'kraft');
const propertiesFile = (node: KafkaNode) => join(node.dataDir, 'server.properties');

const listenerAddresses = (node: KafkaNode, protocol: string) => {
  const listeners = `${protocol}://${address(node.port)},CONTROLLER://${address(node.controllerPort)}`;
  return `listeners=${listeners}\nadvertised.listeners=${listeners}`;
};

const plaintextListeners = (node: KafkaNode) => `${listenerAddresses(node, 'PLAINTEXT')}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT`;

// KRaft's own authorizer. Besides the broker's SCRAM user (inter-broker
// traffic), User:ANONYMOUS is a super user: that is how the broker's
// registration and heartbeats reach the controller over the plaintext
// CONTROLLER listener (loopback only; clients only reach SASL_SSL, where
// everyone is a SCRAM user).
const authorizerSettings = ({
  interBroker,
}: NodeSecurity) => `authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:${interBroker.username};User:ANONYMOUS
allow.everyone.if.no.acl.found=false`;

// Clients and the broker itself (inter-broker) use TLS, then SCRAM-SHA-512; the controller stays on plaintext loopback.
const saslSslListeners = (node: KafkaNode, security: NodeSecurity) => `${listenerAddresses(node, 'SASL_SSL')}
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
  username="${security.interBroker.username}" password="${security.interBroker.password}";
ssl.client.auth=none
ssl.keystore.type=PKCS12
ssl.keystore.location=${security.tls.keystore}
ssl.keystore.password=${security.tls.storePassword}
ssl.key.password=${security.tls.storePassword}
ssl.truststore.type=PKCS12
ssl.truststore.location=${security.tls.truststore}
ssl.truststore.password=${security.tls.storePassword}${security.authorizer ? `\n${authorizerSettings(security)}` : ''}`;

const serverProperties = (node: KafkaNode) => {
  // Internal topics keep up to three replicas, and a write needs two of them
  // once there are three; one node keeps a single replica of everything.
  const replicas = Math.min(node.quorum.length, 3);
  const minIsr = replicas >= 3 ? 2 : 1;
  const replication =
    replicas === 1
      ? '# One node: every internal topic has a single replica.'
      : `# ${node.quorum.length} nodes: topics keep ${replicas} replicas, an acks=all write needs ${minIsr} in sync.`;
  const cluster =
    node.quorum.length === 1
      ? ''
      : `# A killed node is fenced after 3 s (not 9): its partitions get new leaders and
# it leaves their in-sync replicas quickly, as a test of failover wants.
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=3000
`;
  return `# Generated by scripts/infra/kafka.ts for local development and tests.
process.roles=broker,controller
node.id=${node.nodeId}
controller.quorum.bootstrap.servers=${node.quorum.map((voter) => address(voter.controllerPort)).join(',')}
${node.security ? saslSslListeners(node, node.security) : plaintextListeners(node)}
log.dirs=${kraftDir(node)}
${replication}
num.partitions=3
default.replication.factor=${replicas}
min.insync.replicas=${minIsr}
offsets.topic.replication.factor=${replicas}
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=${replicas}
transaction.state.log.min.isr=${minIsr}
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=${replicas}
share.coordinator.state.topic.min.isr=${minIsr}
${cluster}# Fast group joins in tests; topics are created explicitly by the service.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=4
`;
};

const log4jConfig = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/infra/kafka.ts: Kafka logs go to the file named by -Dkafka.log.file. -->
<Configuration status="WARN">
  <Appenders>
    <File name="file" fileName="\${sys:kafka.log.file}" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Logger name="org.apache.kafka.common.config.AbstractConfig" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Root level="INFO"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
`;

/** The jars and the log4j configuration every node runs with. */
interface KafkaRuntime {
  libs: string;
  log4j: string;
}

async function kafkaRuntime(): Promise<KafkaRuntime> {
  requireJava17();
  const libs = await ensureKafkaJars();
  const log4j = join(dirname(libs), 'log4j2.xml');
  if (!existsSync(log4j)) writeFileSync(log4j, log4jConfig);
  return { libs, log4j };
}

const javaArgs = (runtime: KafkaRuntime, logFile: string, heap: string[], mainClass: string, args: string[]) => [
  ...heap,
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
  // Kafka logs its own orderly shutdown; log4j must not close the file before that.
  '-Dlog4j2.shutdownHookEnabled=false',
  `-Dlog4j2.configurationFile=${runtime.log4j}`,
  `-Dkafka.log.file=${logFile}`,
  '-cp',
  join(runtime.libs, '*'),
  mainClass,
  ...args,
];

async function requirePortsFree(node: KafkaNodePorts): Promise<void> {
  for (const port of [node.port, node.controllerPort]) {
    if (await isPortListening(port)) throw new Error(`Cannot start Kafka: port ${port} is already in use.`);
  }
}

/** Writes the node's server.properties (every start, so settings follow this file), private: a secure one holds passwords. */
function writeProperties(node: KafkaNode): void {
  mkdirSync(node.dataDir, { recursive: true });
  writePrivateFile(propertiesFile(node), serverProperties(node));
}

/** The cluster id a node's storage was formatted with, if it was. */
function formattedClusterId(node: KafkaNode): string | undefined {
  const meta = join(kraftDir(node), 'meta.properties');
  if (!existsSync(meta)) return undefined;
  return /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'))?.[1]?.trim();
}

/** `kafka-storage.sh format` of one node; `quorum` is `--standalone` or `--initial-controllers …`. */
async function formatStorage(
  runtime: KafkaRuntime,
  node: KafkaNode,
  clusterId: string,
  quorum: string[],
): Promise<void> {
  // A short-lived tool: the quick JIT tier is enough and starts faster.
  const args = javaArgs(runtime, node.logFile, ['-Xmx256m', '-XX:TieredStopAtLevel=1'], 'kafka.tools.StorageTool', [
    'format',
    '-t',
    clusterId,
    '-c',
    propertiesFile(node),
    ...quorum,
  ]);
  const { code, output } = await new Promise<{ code: number | null; output: string }>((done, fail) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.once('error', fail);
    child.once('close', (exitCode) => done({ code: exitCode, output: text }));
  });
  if (code !== 0)
    throw new Error(`Formatting Kafka storage of node ${node.nodeId} failed:\n${output}\n${tailFile(node.logFile)}`);
}

interface LaunchedNode {
  pid: number;
  /** Undefined while running; the exit code (null when killed by a signal) afterwards. */
  exitCode(): number | null | undefined;
  /** Resolves once the process has exited. */
  exited: Promise<number | null>;
}

/** Spawns a formatted node and resolves once it answers Kafka clients on its own port. */
async function launchNode(
  runtime: KafkaRuntime,
  node: KafkaNode,
  options: { detached: boolean; startTimeoutMs?: number },
): Promise<LaunchedNode> {
  const child = spawnLogged(
    'java',
    javaArgs(runtime, node.logFile, ['-Xms256m', '-Xmx512m'], 'kafka.Kafka', [propertiesFile(node)]),
    {
      logFile: node.logFile,
      detached: options.detached,
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('Could not spawn java for Kafka.');
  let exitCode: number | null | undefined;
  const done = exited(child).then((code) => (exitCode = code));
  try {
    await waitFor(`Kafka on ${address(node.port)}`, () => kafkaAnswers(address(node.port), node.security?.client), {
      timeoutMs: options.startTimeoutMs ?? 60_000,
      intervalMs: 300,
      abortReason: () => (exitCode === undefined ? undefined : `the broker exited with code ${exitCode}`),
    });
  } catch (error) {
    await stopProcess(pid, 'SIGTERM', 30_000);
    throw new Error(`${(error as Error).message}\n--- last lines of ${node.logFile} ---\n${tailFile(node.logFile)}`, {
      cause: error,
    });
  }
  return { pid, exitCode: () => exitCode, exited: done };
}

/** Starts the broker and resolves once it answers Kafka clients. */
export async function startKafka(options: KafkaOptions): Promise<RunningKafka> {
  const runtime = await kafkaRuntime();
  const node: KafkaNode = {
    nodeId: 1,
    port: options.port,
    controllerPort: options.controllerPort,
    dataDir: options.dataDir,
    logFile: options.logFile,
    quorum: [{ nodeId: 1, port: options.port, controllerPort: options.controllerPort }],
  };
  await requirePortsFree(node);
  const formatted = formattedClusterId(node) !== undefined;
  if (options.secure) node.security = await nodeSecurity(options.dataDir, options.secure, formatted);
  writeProperties(node);
  // Equivalent of `kafka-storage.sh format --standalone` with a fresh cluster id.
  if (!formatted) await formatStorage(runtime, node, clusterId(), ['--standalone', ...scramUserArgs(node.security)]);

  const started = Date.now();
  const launched = await launchNode(runtime, node, {
    detached: options.detached ?? false,
    startTimeoutMs: options.startTimeoutMs,
  });
  const brokers = address(node.port);
  const protocol = node.security ? ` (SASL_SSL, SCRAM-SHA-512${node.security.authorizer ? ', ACLs' : ''})` : '';
  const details = `(pid ${launched.pid}, log ${options.logFile})`;
  console.log(`Kafka ${KAFKA_VERSION} ready on ${brokers}${protocol} in ${seconds(started)} ${details}`);
  return {
    brokers,
    pid: launched.pid,
    ...(node.security ? { secure: node.security.client } : {}),
    ...(node.security?.authorizer ? { superUser: { ...node.security.interBroker } } : {}),
    stop: () => stopProcess(launched.pid, 'SIGTERM', 30_000),
  };
}

const passwordFile = (dataDir: string, username: string) => join(dataDir, `${username}.password`);

/**
 * The TLS stores (made when missing) and both SCRAM logins of a secure node.
 * Passwords are new for a storage about to be formatted, read back otherwise:
 * SCRAM users only get created when the storage is formatted.
 */
async function nodeSecurity(dataDir: string, security: SecureKafkaOptions, formatted: boolean): Promise<NodeSecurity> {
  // The name goes into the format tool's --add-scram and a JAAS setting unquoted.
  if (!/^[\w.-]+$/.test(security.username) || security.username === INTER_BROKER_USER) {
    const name = JSON.stringify(security.username);
    throw new Error(
      `Unusable Kafka user name ${name}: letters, digits, '.', '_' and '-' only, not ${INTER_BROKER_USER}.`,
    );
  }
  const tls = await ensureBrokerTls(security.tlsDir);
  mkdirSync(dataDir, { recursive: true });
  const passwordOf = formatted ? storedPassword : newPassword;
  const login = (username: string): ScramLogin => ({ username, password: passwordOf(dataDir, username) });
  const client = login(security.username);
  return {
    tls,
    interBroker: login(INTER_BROKER_USER),
    client: { ...client, passwordFile: passwordFile(dataDir, client.username), caFile: tls.caFile },
    authorizer: security.authorizer ?? false,
  };
}

function newPassword(dataDir: string, username: string): string {
  const password = randomBytes(24).toString('base64url'); // no character that SCRAM or JAAS settings would need escaped
  writePrivateFile(passwordFile(dataDir, username), password);
  return password;
}

function storedPassword(dataDir: string, username: string): string {
  const file = passwordFile(dataDir, username);
  if (!existsSync(file)) {
    throw new Error(
      `${dataDir} holds Kafka data without the SCRAM user ${username} (no ${file}): not a secure broker's data, ` +
        'or its password file went missing; delete the folder to start afresh (its topics go too).',
    );
  }
  return readFileSync(file, 'utf8');
}

/** `--add-scram` of the format tool: the broker's own user and the clients'. */
function scramUserArgs(security: NodeSecurity | undefined): string[] {
  if (!security) return [];
  return [security.interBroker, security.client].flatMap(({ username, password }) => [
    '--add-scram',
    `SCRAM-SHA-512=[name=${username},password=${password}]`,
  ]);
}

/** The access of the secure broker on `dataDir` once its storage has users, else undefined (e.g. for status probes). */
export function secureKafkaAccess(dataDir: string, security: SecureKafkaOptions): SecureKafkaAccess | undefined {
  const file = passwordFile(dataDir, security.username);
  const caFile = caFileIn(security.tlsDir);
  if (!existsSync(file) || !existsSync(caFile)) return undefined;
  return { username: security.username, password: readFileSync(file, 'utf8'), passwordFile: file, caFile };
}

export interface KafkaClusterOptions {
  /** How many combined broker + controller nodes, all voters of the controller quorum (default 3). */
  nodes?: number;
  /** Ports of node 1, 2, … in order; otherwise from `basePort`, otherwise free ports from the OS. */
  ports?: readonly KafkaNodePorts[];
  /** Node n listens on basePort + 2(n-1), its controller on the port after that. */
  basePort?: number;
  /** Node n keeps its server.properties and KRaft log in `<dataDir>/node-<n>`; formatted on first use, reused afterwards. */
  dataDir: string;
  /** Node n logs to `<logDir>/kafka-<n>.log`. */
  logDir: string;
  /** Keep the nodes running after this process exits (infra:up). */
  detached?: boolean;
  startTimeoutMs?: number;
}

/** One node of a running cluster. */
export interface KafkaClusterNode {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  readonly logFile: string;
  /** The current process (a restart changes it); undefined while the node is down. */
  readonly pid: number | undefined;
  isRunning(): boolean;
  /** SIGTERM: a controlled shutdown that hands its leaderships over first. */
  stop(): Promise<void>;
  /** SIGKILL (nothing more gets done); resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts the node again on its own data (stopping it first if it runs); resolves once it answers. */
  restart(): Promise<void>;
}

export interface RunningKafkaCluster {
  /** Bootstrap list of every node, `h:p,h:p,h:p`. */
  brokers: string;
  clusterId: string;
  nodes: KafkaClusterNode[];
  node(nodeId: number): KafkaClusterNode;
  /** Stops every node that runs. */
  stop(): Promise<void>;
}

/** The nodes of a cluster with these options, in node id order (ports resolved). */
async function clusterNodes(options: KafkaClusterOptions): Promise<KafkaNode[]> {
  const count = options.ports?.length ?? options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`A Kafka cluster needs at least one node, not ${count}.`);
  if (options.ports && options.nodes !== undefined && options.ports.length !== options.nodes) {
    throw new Error(`${options.nodes} nodes but ${options.ports.length} port pairs.`);
  }
  let ports: KafkaNodePorts[];
  if (options.ports) ports = [...options.ports];
  else if (options.basePort !== undefined) {
    const base = options.basePort;
    ports = Array.from({ length: count }, (_, i) => ({ port: base + 2 * i, controllerPort: base + 2 * i + 1 }));
  } else {
    const free = await getFreePorts(2 * count);
    ports = Array.from({ length: count }, (_, i) => ({ port: free[2 * i]!, controllerPort: free[2 * i + 1]! }));
  }
  const quorum = ports.map((pair, i) => ({ nodeId: i + 1, ...pair }));
  return quorum.map((voter) => ({
    ...voter,
    dataDir: join(options.dataDir, `node-${voter.nodeId}`),
    logFile: join(options.logDir, `kafka-${voter.nodeId}.log`),
    quorum,
  }));
}

/**
 * Formats every node's storage on first use: one cluster id, and the whole
 * quorum named with `--initial-controllers` (a dynamic KRaft quorum, as
 * Kafka 4 sets one up; each voter is id@host:port:directory-id). Returns the cluster id.
 */
async function formatCluster(runtime: KafkaRuntime, nodes: readonly KafkaNode[]): Promise<string> {
  for (const node of nodes) writeProperties(node);
  const ids = nodes.map(formattedClusterId);
  const formatted = ids.filter((id): id is string => id !== undefined);
  if (formatted.length === nodes.length) {
    if (new Set(formatted).size > 1)
      throw new Error(`The nodes' storage belongs to different clusters (${[...new Set(formatted)].join(', ')}).`);
    return formatted[0]!;
  }
  if (formatted.length > 0) {
    const missing = nodes.filter((_, i) => ids[i] === undefined).map((node) => node.dataDir);
    throw new Error(
      `Kafka nodes ${missing.join(', ')} have no data while others have: delete the cluster's data to start afresh.`,
    );
  }
  const cluster = clusterId();
  const voters = nodes.map((node) => `${node.nodeId}@${address(node.controllerPort)}:${uuid()}`).join(',');
  await Promise.all(nodes.map((node) => formatStorage(runtime, node, cluster, ['--initial-controllers', voters])));
  return cluster;
}

/** A node of the cluster whose process this module may start, stop, kill and restart. */
function clusterNode(
  runtime: KafkaRuntime,
  node: KafkaNode,
  options: KafkaClusterOptions,
): KafkaClusterNode & { start(): Promise<void> } {
  let launched: LaunchedNode | undefined;
  const running = () => launched !== undefined && launched.exitCode() === undefined && isAlive(launched.pid);
  const handle = {
    nodeId: node.nodeId,
    port: node.port,
    controllerPort: node.controllerPort,
    address: address(node.port),
    logFile: node.logFile,
    get pid() {
      return running() ? launched?.pid : undefined;
    },
    isRunning: running,
    async start() {
      await requirePortsFree(node);
      writeProperties(node);
      launched = await launchNode(runtime, node, {
        detached: options.detached ?? false,
        startTimeoutMs: options.startTimeoutMs,
      });
    },
    async stop() {
      if (launched) await stopProcess(launched.pid, 'SIGTERM', 30_000);
    },
    async kill() {
      if (!launched || !running()) return;
      try {
        process.kill(launched.pid, 'SIGKILL');
      } catch {
        return;
      }
      // Reaped by Node for a child of ours; a detached one (another process's child) is gone once not alive.
      const pid = launched.pid;
      await Promise.race([
        launched.exited,
        waitFor(`pid ${pid} to exit`, async () => !isAlive(pid), { timeoutMs: 10_000, intervalMs: 50 }),
      ]);
    },
    async restart() {
      if (running()) await handle.stop();
      const started = Date.now();
      await handle.start();
      console.log(
        `Kafka node ${node.nodeId} restarted on ${address(node.port)} in ${seconds(started)} (pid ${launched?.pid})`,
      );
    },
  };
  return handle;
}

/**
 * Starts (or restarts on their own data) a cluster of combined broker +
 * controller nodes; resolves once every node answers Kafka clients. Topics
 * created with the broker defaults get 3 replicas and min.insync.replicas=2.
 */
export async function startKafkaCluster(options: KafkaClusterOptions): Promise<RunningKafkaCluster> {
  const runtime = await kafkaRuntime();
  const nodes = await clusterNodes(options);
  for (const node of nodes) await requirePortsFree(node);
  mkdirSync(options.logDir, { recursive: true });
  const id = await formatCluster(runtime, nodes);
  const handles = nodes.map((node) => clusterNode(runtime, node, options));
  const started = Date.now();
  // Together: a controller quorum needs a majority of its voters before any broker is ready.
  const results = await Promise.allSettled(handles.map((handle) => handle.start()));
  const stop = async () => {
    await Promise.all(handles.map((handle) => handle.stop()));
  };
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const brokers = handles.map((handle) => handle.address).join(',');
  console.log(
    `Kafka ${KAFKA_VERSION} cluster of ${nodes.length} ready on ${brokers} in ${seconds(started)} (pids ${handles.map((handle) => handle.pid).join(', ')}, logs ${options.logDir})`,
  );
  return {
    brokers,
    clusterId: id,
    nodes: handles,
    node(nodeId) {
      const handle = handles.find((candidate) => candidate.nodeId === nodeId);
      if (!handle)
        throw new Error(`No Kafka node ${nodeId} in this cluster (nodes ${handles.map((h) => h.nodeId).join(', ')}).`);
      return handle;
    },
    stop,
  };
}

/**
 * Starts one node of a cluster (e.g. one that died) on its own data while the
 * others keep running; formats the whole cluster first if nothing is formatted yet.
 */
export async function startKafkaClusterNode(options: KafkaClusterOptions, nodeId: number): Promise<KafkaClusterNode> {
  const runtime = await kafkaRuntime();
  const nodes = await clusterNodes(options);
  const node = nodes.find((candidate) => candidate.nodeId === nodeId);
  if (!node) throw new Error(`No Kafka node ${nodeId} in a cluster of ${nodes.length}.`);
  mkdirSync(options.logDir, { recursive: true });
  await formatCluster(runtime, nodes);
  const handle = clusterNode(runtime, node, options);
  const started = Date.now();
  await handle.start();
  console.log(
    `Kafka node ${nodeId} ready on ${handle.address} in ${seconds(started)} (pid ${handle.pid}, log ${node.logFile})`,
  );
  return handle;
}

/** True when a Kafka client can list topics on `brokers` (comma-separated host:port), over SASL_SSL with `secure`. */
export function kafkaAnswers(brokers: string, secure?: SecureKafkaAccess): Promise<boolean> {
  const client = createKafkaClient({
    clientId: 'contract-events-infra',
    brokers: brokers.split(','),
    logger: createLogger('silent'),
    failFast: true,
    ...(secure ? { security: clientSecurity(secure) } : {}),
  });
  return client.listTopics().then(
    () => true,
    () => false,
  );
}

/** Client settings for a secure broker: verify it with its CA, log in with SCRAM-SHA-512. */
function clientSecurity(access: SecureKafkaAccess): KafkaSecurity {
  return {
    ssl: { ca: readFileSync(access.caFile, 'utf8'), rejectUnauthorized: true },
    sasl: { mechanism: 'scram-sha-512', username: access.username, password: access.password },
  };
}

/** A random KRaft cluster id: 16 random bytes, URL-safe base64 (like `kafka-storage.sh random-uuid`). */
function clusterId(): string {
  return uuid();
}

/** A random Kafka Uuid (cluster ids, directory ids) as `kafka-storage.sh random-uuid` prints one. */
function uuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // a leading dash would read as a CLI flag
  }
}

function requireJava17(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const match = /version "(\d+)/.exec(`${result.stderr}${result.stdout}`);
  if (result.error || !match) throw new Error('Java 17+ (`java` on PATH) is needed to run the local Kafka broker.');
  if (Number(match[1]) < 17) throw new Error(`Apache Kafka ${KAFKA_VERSION} needs Java 17+, found Java ${match[1]}.`);
}
