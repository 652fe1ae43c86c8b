import { Kafka, logLevel } from '../../src/kafka/kafkajs/patched.js';
import { sleep } from '../../scripts/infra/wait.js';

// Who leads what on a multi-broker cluster, for fault tests that bounce
// partition leaders. Tests may use kafkajs directly; the service reaches it
// only through src/kafka/port.ts, which has no such call (yet).

export interface PartitionState {
  topic: string;
  partition: number;
  /** Node id of the leader; -1 while the partition has none. */
  leader: number;
  replicas: number[];
  isr: number[];
}

/**
 * Leader, replicas and in-sync replicas of every partition of `topics` (by
 * default of every topic, internal ones included), from fresh metadata.
 */
export async function describePartitions(brokers: string, topics?: readonly string[]): Promise<PartitionState[]> {
  const kafka = new Kafka({
    clientId: 'test-kafka-cluster',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: topics ? [...topics] : await admin.listTopics() });
    return metadata.topics.flatMap(({ name, partitions }) =>
      partitions.map(({ partitionId, leader, replicas, isr }) => ({
        topic: name,
        partition: partitionId,
        leader,
        replicas,
        isr,
      })),
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** How many of `partitions` each node leads (nodes leading none are absent). */
export function leaderCounts(partitions: readonly PartitionState[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const { leader } of partitions) if (leader >= 0) counts.set(leader, (counts.get(leader) ?? 0) + 1);
  return counts;
}

/** The node that leads the most partitions of `topics` (the lowest id on a tie). */
export async function busiestLeader(
  brokers: string,
  topics: readonly string[],
): Promise<{ nodeId: number; leads: number; of: number }> {
  const partitions = await describePartitions(brokers, topics);
  const [nodeId, leads] =
    [...leaderCounts(partitions)].sort(([a, countA], [b, countB]) => countB - countA || a - b)[0] ?? [];
  if (nodeId === undefined || leads === undefined)
    throw new Error(`No partition of ${topics.join(', ')} has a leader.`);
  return { nodeId, leads, of: partitions.length };
}

/**
 * Waits until every partition of `topics` (by default of every topic) has a
 * leader and `inSync` in-sync replicas (e.g. a restarted node caught up and
 * rejoined the ISR); throws on timeout.
 */
export async function waitForInSyncReplicas(
  brokers: string,
  topics: readonly string[] | undefined,
  inSync: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no metadata';
  for (;;) {
    const partitions = await describePartitions(brokers, topics).catch((error: unknown) => {
      last = String(error);
      return undefined;
    });
    if (partitions) {
      const behind = partitions.filter(({ leader, isr }) => leader < 0 || isr.length < inSync);
      if (partitions.length > 0 && behind.length === 0) return;
      last = behind
        .map(({ topic, partition, leader, isr }) => `${topic}[${partition}] leader ${leader} isr [${isr.join(',')}]`)
        .join('; ');
    }
    if (Date.now() > deadline)
      throw new Error(`Not every partition has ${inSync} in-sync replicas after ${timeoutMs / 1000} s: ${last}`);
    await sleep(250);
  }
}

/** Waits until no partition of `topics` is led by `nodeId` (a killed node's leaderships moved). */
export async function waitForLeadershipToLeave(
  brokers: string,
  topics: readonly string[],
  nodeId: number,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const partitions = await describePartitions(brokers, topics).catch(() => undefined);
    if (partitions && partitions.every(({ leader }) => leader >= 0 && leader !== nodeId)) return;
    if (Date.now() > deadline)
      throw new Error(
        `Node ${nodeId} still leads partitions of ${topics.join(', ')} (or some have none) after ${timeoutMs / 1000} s`,
      );
    await sleep(250);
  }
}
