import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaCluster, type KafkaNodePorts, type RunningKafkaCluster } from '../../scripts/infra/kafka.js';
import { getFreePorts, sleep } from '../../scripts/infra/wait.js';
import type { OutboundMessage } from '../../src/kafka/port.js';
import {
  createScenario,
  groupPosition,
  waitForProgress,
  waitUntilConsumed,
  type Scenario,
} from '../support/fault/scenario.js';
import { generateWorkload } from '../support/fault/workload.js';
import { busiestLeader, waitForInSyncReplicas, waitForLeadershipToLeave } from '../support/kafka-cluster.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

// A three-broker KRaft cluster of this test's own; topics with three replicas
// and min.insync.replicas=2. While events stream in, the node leading most
// partitions of the events and outcomes topics is killed (kill -9) and, a few
// seconds later, restarted on its own data; twice, like Kafka's own
// transaction system tests bounce brokers. The one service process is never
// restarted by hand: it follows the new leaders by itself.

const BOUNCES = 2;
const PARTITIONS = 6;
const EVENTS = 20_000;
/** Events per second while bouncing, so the stream spans both bounces; the rest goes at full speed. */
const PACED_PER_SECOND = 300;
const workload = generateWorkload({ contracts: 300, events: EVENTS, seed: 8, prefix: 'bounce' });
const dir = mkdtempSync(join(tmpdir(), 'leader-bounce-'));
let cluster: RunningKafkaCluster | undefined;
let scenario: Scenario | undefined;
let service: ServiceProcess | undefined;
let passed = false;
/**
 * The events topic is partitioned by another hash of the key than the outcome
 * topic's murmur2 (as a librdkafka producer's default would), so one consumed
 * chunk's outcomes span several partitions: the case where a producer that
 * sends several partitions at once can lose records when a leader moves.
 */
const inputPartition = (key: string | null) =>
  [...(key ?? '')].reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) >>> 0, 7) % PARTITIONS;

beforeAll(async () => {
  const ports = await getFreePorts(6);
  const nodes: KafkaNodePorts[] = [0, 2, 4].map((i) => ({ port: ports[i]!, controllerPort: ports[i + 1]! }));
  // A restarted node recovers its logs first: slow on a busy 2-core machine.
  cluster = await startKafkaCluster({ ports: nodes, dataDir: join(dir, 'data'), logDir: dir, startTimeoutMs: 120_000 });
  scenario = await createScenario({
    name: 'leader-bounce',
    brokers: cluster.brokers,
    partitions: PARTITIONS,
    replicationFactor: 3,
    topicConfig: { 'min.insync.replicas': '2' },
  });
  await scenario.createContracts(workload.contracts);
});
afterAll(async () => {
  await service?.stop('SIGKILL');
  await scenario?.dispose();
  // Throw-away data: no controlled shutdown needed.
  await Promise.all(cluster?.nodes.map((node) => node.kill()) ?? []);
  // The brokers' logs stay when something failed.
  const failed = !passed;
  if (!failed) rmSync(dir, { recursive: true, force: true });
  if (failed) console.log(`[leader-bounce] broker logs kept in ${dir}`);
});

/** Sends `messages` to the partitions `inputPartition` picks. */
async function sendPartitioned(world: Scenario, messages: readonly OutboundMessage[]): Promise<void> {
  await world.produce(messages.map((message) => ({ ...message, partition: inputPartition(message.key) })));
}

describe('leader bounce', () => {
  it(
    'follows partition leaders across kill -9 and restart of brokers, losing nothing',
    { timeout: 300_000 },
    async () => {
      const started = Date.now();
      const at = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
      const kafka = cluster!;
      const world = scenario!;
      const topics = [world.eventsTopic, world.outcomesTopic];
      // The service inherits OUTCOME_DELIVERY from the environment (default transactional); reconcile for the same mode.
      if (process.env.OUTCOME_DELIVERY) world.env.OUTCOME_DELIVERY = process.env.OUTCOME_DELIVERY;

      let bouncing = true;
      let sent = 0;
      const production = (async () => {
        const tick = Math.round(PACED_PER_SECOND / 10); // every 100 ms
        const pacedFrom = Date.now();
        while (bouncing && sent < workload.messages.length) {
          const next = workload.messages.slice(sent, sent + tick);
          await sendPartitioned(world, next);
          sent += next.length;
          await sleep(Math.max(0, pacedFrom + (sent / PACED_PER_SECOND) * 1000 - Date.now()));
        }
        for (; sent < workload.messages.length; sent += 2_000)
          await sendPartitioned(world, workload.messages.slice(sent, sent + 2_000));
        sent = workload.messages.length;
      })();
      production.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      service = await startServiceProcess({ ...world.env, TOPIC_REPLICATION_FACTOR: '3' });

      const bounces: string[] = [];
      let progress = 0;
      for (let bounce = 1; bounce <= BOUNCES; bounce += 1) {
        // Every replica in sync first (internal topics too), so one node down never leaves a partition below min.insync.replicas.
        await waitForInSyncReplicas(kafka.brokers, undefined, 3);
        // The consumer is at work (after the previous bounce: again, by itself).
        await waitForProgress(world, progress + 500);
        const victim = await busiestLeader(kafka.brokers, topics);
        const atKill = await groupPosition(world);
        const sentAtKill = sent;
        const killedAt = Date.now();
        await kafka.node(victim.nodeId).kill();
        await waitForLeadershipToLeave(kafka.brokers, topics, victim.nodeId);
        const failover = Date.now() - killedAt;
        await sleep(Math.max(0, 4_000 - failover)); // down for a few seconds in all
        await kafka.node(victim.nodeId).restart();
        const downFor = Date.now() - killedAt;
        progress = await groupPosition(world);
        bounces.push(
          `node ${victim.nodeId} (led ${victim.leads} of ${victim.of} partitions) killed at ${atKill} committed / ${sentAtKill} sent, leaders moved in ${(failover / 1000).toFixed(1)} s, back after ${(downFor / 1000).toFixed(1)} s`,
        );
        console.log(`[leader-bounce] ${at()}: bounce ${bounce}: ${bounces.at(-1)}`);
        expect(sentAtKill, 'the stream still flows at the kill').toBeLessThan(workload.messages.length);
      }
      bouncing = false;
      await production;

      await waitUntilConsumed(world);
      const consumedAt = at();
      expect(await service.stop('SIGTERM')).toBe(0);
      service = undefined;

      const produced = await world.produced(workload.messages.length);
      // Every message sent is in the topic (a retried send may have written some twice), where it was sent.
      expect(produced.length).toBeGreaterThanOrEqual(workload.messages.length);
      const misplaced = produced.filter(({ key, partition }) => inputPartition(key) !== partition);
      expect(misplaced).toEqual([]);
      const result = await world.reconcile(workload.contracts, produced.length);
      console.log(
        `[leader-bounce] ${BOUNCES} leader bounces on a 3-node cluster, one service process (${world.env.OUTCOME_DELIVERY ?? 'transactional'}) throughout: ` +
          `${produced.length} messages, all consumed at ${consumedAt}, ${result.mismatches.length} mismatches, ${at()} in all`,
      );
      if (result.mismatches.length)
        console.log(`[leader-bounce] mismatches:\n  ${result.mismatches.slice(0, 12).join('\n  ')}`);
      expect(result.mismatches).toEqual([]);
      passed = true;
    },
  );
});
