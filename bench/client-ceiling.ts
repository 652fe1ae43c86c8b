import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createBenchKafka } from './baselines/kafkajs.js';
import type { Client, FromForwarder, ToForwarder } from './client-forwarder.js';
import { log } from './context.js';
import { nodeBinary } from '../scripts/node-binary.js';
import { generateDataset } from './dataset.js';
import { provideKafka } from './infra.js';
import { cpuBusyShare } from './measure/machine-load.js';
import { lastVisible, round, throughputFrom, waitForGroup, type Throughput } from './measure/throughput.js';

// `npm run bench:clients`: the passthrough ceiling (bench/phases/ceiling.ts:
// consume every event, forward it to an output topic, no database) with
// kafkajs and with @platformatic/kafka, on one broker and one pre-loaded
// 6-partition topic, measured the same way (throughputFrom: the consumer's
// group join to the last record's append time on the output topic). Each run
// is a fresh process on Node.js 24 (@platformatic/kafka needs 22 or later; kafkajs
// runs on the same binary), the clients alternating, kafkajs first; then one
// kafkajs run on this process's own Node.js. Writes bench/results/clients.json.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FORWARDER = fileURLToPath(new URL('client-forwarder.ts', import.meta.url));
const PARTITIONS = 6;

const USAGE = `usage: npm run bench:clients -- [--events N] [--contracts N] [--rounds N] [--node MAJOR]
                                  [--skip-current-node] [--output FILE]`;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    events: { type: 'string', default: '200000' },
    contracts: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '2' },
    node: { type: 'string', default: '24' },
    'skip-current-node': { type: 'boolean', default: false },
    output: { type: 'string', default: 'bench/results/clients.json' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const positive = (name: string, text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`--${name} must be a positive integer (got ${text})\n${USAGE}`);
  }
  return value;
};
const events = positive('events', values.events);
const contracts = positive('contracts', values.contracts);
const rounds = positive('rounds', values.rounds);
const nodeMajor = positive('node', values.node);
if (nodeMajor < 22) throw new Error('--node: @platformatic/kafka needs Node.js 22 or later');

interface Run extends Throughput {
  order: number;
  client: Client;
  node: string;
  /** Run on this process's own Node.js instead of the compared one (kafkajs only). */
  current_node: boolean;
  /** Every event forwarded exactly once (records on the output topic = events). */
  complete: boolean;
  /** Share of the CPUs busy just before the run: other work skews it. */
  cpu_busy_before: number | null;
}

const startedAt = new Date();
const busyAtStart = await cpuBusyShare();
const node =
  Number(process.versions.node.split('.')[0]) === nodeMajor ? process.execPath : nodeBinary(String(nodeMajor));
const currentMajor = Number(process.versions.node.split('.')[0]);
const plan: { client: Client; currentNode: boolean }[] = [];
for (let n = 0; n < rounds; n++) {
  plan.push({ client: 'kafkajs', currentNode: false }, { client: 'platformatic', currentNode: false });
}
if (!values['skip-current-node'] && currentMajor !== nodeMajor) plan.push({ client: 'kafkajs', currentNode: true });

const dataset = generateDataset({ contracts, events });
log(`workload: ${dataset.messages.length} events over ${dataset.contracts.length} contracts; ${plan.length} runs`);
const infra = await provideKafka();
const kafka = createBenchKafka(infra.brokers);
const runId = randomBytes(3).toString('hex');
const inputTopic = `bench_${runId}_clients_events`;
const createdTopics: string[] = [];
const children = new Set<ChildProcess>();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  await kafka.createTopics([inputTopic], PARTITIONS);
  createdTopics.push(inputTopic);
  const preloadStarted = Date.now();
  const producer = await kafka.connectProducer();
  for (let at = 0; at < events; at += 10_000) await producer.send(inputTopic, dataset.messages.slice(at, at + 10_000));
  await producer.disconnect();
  log(`pre-loaded ${events} events into ${inputTopic} in ${((Date.now() - preloadStarted) / 1000).toFixed(1)} s`);

  const runs: Run[] = [];
  for (const [index, step] of plan.entries()) runs.push(await measure(index + 1, step.client, step.currentNode));

  const report = buildReport(runs);
  mkdirSync(dirname(values.output), { recursive: true });
  writeFileSync(values.output, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${formatReport(report)}\n`);
  log(`wrote ${values.output}; the whole run took ${report.duration_s} s`);
} finally {
  await cleanUp();
}

/** One forwarder in a process of its own (Node.js under test, or this one's), from join to its last output record. */
async function measure(order: number, client: Client, currentNode: boolean): Promise<Run> {
  const name = `bench_${runId}_clients_${order}_${client}`;
  const output = `${name}_out`;
  await kafka.createTopics([output], PARTITIONS, { appendTime: true });
  createdTopics.push(output);
  const busy = await cpuBusyShare(1_000);
  const args = ['--client', client, '--brokers', infra.brokers.join(','), '--group', name];
  args.push('--from', inputTopic, '--to', output);
  // tsx's loader, as `npm run bench` runs TypeScript, on the binary under test.
  const execPath = currentNode ? process.execPath : node;
  const child = fork(FORWARDER, args, { cwd: ROOT, execPath, execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  children.add(child);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = `the ${client} forwarder exited (${signal ?? `code ${code}`})`;
      children.delete(child);
      resolve();
    }),
  );
  const joined = await new Promise<FromForwarder>((resolve, reject) => {
    child.on('message', (message: FromForwarder) => {
      if (message.type === 'joined') resolve(message);
    });
    void exit.then(() => reject(new Error(exited)));
  });
  log(`${order}. ${client} on Node ${joined.node}: joined ${name}`);
  await waitForGroup(kafka, name, inputTopic, {
    timeoutMs: 300_000,
    abortReason: () => exited,
    onProgress: (consumed, total) => log(`${order}. ${client}: ${consumed}/${total}`),
  });
  child.send({ type: 'stop' } satisfies ToForwarder);
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), 30_000).unref());
  const stopped = await Promise.race([exit.then(() => true), timeout]);
  if (!stopped) child.kill('SIGKILL');
  const { records } = await kafka.readAll(output, events, 120_000);
  const result = throughputFrom(joined.joinedAt, lastVisible(records), records.length);
  const complete = records.length === events;
  if (!complete) log(`${order}. ${client}: ${records.length} records on ${output}, ${events} expected`);
  const rate = `${result.events} events in ${result.seconds} s = ${result.events_per_s} events/s`;
  log(`${order}. ${client} on Node ${joined.node}: ${rate}`);
  const cpuBusy = busy === null ? null : round(busy, 2);
  return { order, client, node: joined.node, current_node: currentNode, ...result, complete, cpu_busy_before: cpuBusy };
}

function packageVersion(name: string): string {
  const file = join(ROOT, 'node_modules', ...name.split('/'), 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function stats(runs: readonly Run[]) {
  const rates = runs.map((r) => r.events_per_s);
  const sorted = [...rates].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    node: runs[0]?.node ?? null,
    events_per_s: rates,
    median_events_per_s: Math.round(median),
    min: sorted[0] ?? null,
    max: sorted.at(-1) ?? null,
  };
}

function buildReport(runs: readonly Run[]) {
  const compared = runs.filter((r) => !r.current_node);
  const kafkajs = stats(compared.filter((r) => r.client === 'kafkajs'));
  const platformatic = stats(compared.filter((r) => r.client === 'platformatic'));
  const onCurrentNode = runs.filter((r) => r.current_node);
  // Pairs in run order (kafkajs, then platformatic): a ratio per round, so drift of the machine shows.
  const perRound = kafkajs.events_per_s.map((k, i) => round((platformatic.events_per_s[i] ?? Number.NaN) / k, 2));
  return {
    started_at: startedAt.toISOString(),
    duration_s: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: { cpu_busy_before_start: busyAtStart === null ? null : round(busyAtStart, 2) },
    kafka: { version: infra.kafkaVersion, infra: infra.description },
    workload: { events, contracts, partitions: PARTITIONS, input_topic_preloaded: true },
    method:
      'as bench/phases/ceiling.ts: a consumer group forwards every event to a fresh 6-partition ' +
      'LogAppendTime output topic, no database, no compression, acks=all; events/s = records read back ' +
      '(read_committed) / (group join -> last append time). Each run is a fresh process; the clients ' +
      'alternate, kafkajs first.',
    clients: {
      kafkajs: { version: packageVersion('kafkajs'), ...kafkajs },
      platformatic_kafka: { version: packageVersion('@platformatic/kafka'), ...platformatic },
      /** kafkajs on the Node.js that ran this script, when it is another major: the same client, another runtime. */
      kafkajs_current_node: onCurrentNode.length
        ? { version: packageVersion('kafkajs'), ...stats(onCurrentNode) }
        : null,
    },
    ratio_platformatic_to_kafkajs: {
      of_medians: round(platformatic.median_events_per_s / kafkajs.median_events_per_s, 2),
      per_round: perRound,
    },
    all_complete: runs.every((r) => r.complete),
    runs,
  };
}

function formatReport(report: ReturnType<typeof buildReport>): string {
  const lines = ['run  client               node       events/s   seconds  complete  cpu busy before'];
  for (const r of report.runs) {
    const busy = r.cpu_busy_before === null ? '-' : `${Math.round(r.cpu_busy_before * 100)}%`;
    const cells = [String(r.order).padEnd(4), r.client.padEnd(20), r.node.padEnd(10)];
    cells.push(String(r.events_per_s).padStart(8));
    cells.push(`  ${String(r.seconds).padStart(7)}`, ` ${String(r.complete).padEnd(8)}`, ` ${busy}`);
    lines.push(cells.join(' '));
  }
  const { kafkajs, platformatic_kafka: platformatic } = report.clients;
  lines.push(
    '',
    `kafkajs ${kafkajs.version} on Node ${kafkajs.node}: median ${kafkajs.median_events_per_s} events/s`,
    `@platformatic/kafka ${platformatic.version} on Node ${platformatic.node}: ` +
      `median ${platformatic.median_events_per_s} events/s`,
    `ratio @platformatic/kafka / kafkajs: ${report.ratio_platformatic_to_kafkajs.of_medians} ` +
      `(per round: ${report.ratio_platformatic_to_kafkajs.per_round.join(', ')})`,
  );
  const current = report.clients.kafkajs_current_node;
  if (current) {
    lines.push(`kafkajs on Node ${current.node}: ${current.events_per_s.join(', ')} events/s`);
  }
  if (!report.all_complete) lines.push('warning: a run did not forward every event exactly once (see runs[].complete)');
  const busy = report.machine.cpu_busy_before_start;
  if (busy !== null && busy > 0.15) {
    lines.push(`warning: other work kept ${Math.round(busy * 100)}% of the CPUs busy before the run`);
  }
  return lines.join('\n');
}

async function cleanUp(): Promise<void> {
  for (const child of children) child.kill('SIGTERM');
  if (process.env.KAFKA_BROKERS) await kafka.deleteTopics(createdTopics).catch(() => undefined);
  await infra.stop();
}
