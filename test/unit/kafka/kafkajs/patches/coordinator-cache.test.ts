// kafkajs as the service loads it: patched first.
import '../../../../../src/kafka/kafkajs/patched.js';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COORDINATOR_KEPT_MS } from '../../../../../src/kafka/kafkajs/patches/coordinator-cache.js';

// kafkajs's Cluster.findGroupCoordinator (as patched) on a stand-in cluster
// whose brokers name `coordinator` as the coordinator of everything, counting
// the FindCoordinator lookups; and Broker's request sending (as patched), to
// fail a request.

const require = createRequire(import.meta.url);
type Query = { groupId: string; coordinatorType?: number };
const Cluster = require('kafkajs/src/cluster/index.js') as {
  prototype: { findGroupCoordinator(this: unknown, query: Query): Promise<{ nodeId: number }> };
};
const Broker = require('kafkajs/src/broker/index.js') as { prototype: Record<symbol, unknown> };
const sendRequest = Object.getOwnPropertySymbols(Broker.prototype).find(
  (symbol) => symbol.description === 'private:Broker:sendRequest',
)!;

function standInCluster(known: (nodeId: number) => boolean = () => true) {
  const cluster = {
    coordinator: 1,
    lookups: 0,
    retrier: <T>(work: (bail: (error: unknown) => never) => Promise<T>) =>
      work((error) => {
        throw error;
      }),
    async findGroupCoordinatorMetadata() {
      cluster.lookups += 1;
      return { coordinator: { nodeId: cluster.coordinator } };
    },
    async findBroker({ nodeId }: { nodeId: number }) {
      if (!known(nodeId))
        throw Object.assign(new Error(`broker ${nodeId} not found`), { name: 'KafkaJSBrokerNotFound' });
      return { nodeId };
    },
  };
  const find = (query: Query) => Cluster.prototype.findGroupCoordinator.call(cluster, query);
  return { cluster, find };
}

const transaction = { groupId: 'contract-events-events-0', coordinatorType: 1 };

/** A request failing on some broker, as a NOT_COORDINATOR answer or a lost connection does. */
const failARequest = async () => {
  const send = Broker.prototype[sendRequest] as (this: unknown, request: unknown) => Promise<unknown>;
  const broker = { connectionPool: { send: () => Promise.reject(new Error('NOT_COORDINATOR')) } };
  await expect(send.call(broker, {})).rejects.toThrow('NOT_COORDINATOR');
};

afterEach(() => {
  vi.useRealTimers();
});

describe('finding a coordinator (kafkajs Cluster.findGroupCoordinator, patched)', () => {
  it('looks a coordinator up once and then asks it directly', async () => {
    const { cluster, find } = standInCluster();
    for (let i = 0; i < 4; i += 1) await expect(find(transaction)).resolves.toEqual({ nodeId: 1 });
    expect(cluster.lookups).toBe(1);
  });

  it('keeps a coordinator per id and type', async () => {
    const { cluster, find } = standInCluster();
    await find(transaction);
    await find({ groupId: transaction.groupId, coordinatorType: 0 });
    await find({ groupId: 'contract-events', coordinatorType: 0 });
    await find({ groupId: 'contract-events' });
    expect(cluster.lookups).toBe(3);
  });

  it('looks it up again once any request has failed: the coordinator may have moved', async () => {
    const { cluster, find } = standInCluster();
    await find(transaction);
    cluster.coordinator = 2;
    await failARequest();
    await expect(find(transaction)).resolves.toEqual({ nodeId: 2 });
    await expect(find(transaction)).resolves.toEqual({ nodeId: 2 });
    expect(cluster.lookups).toBe(2);
  });

  it('looks it up again when the node kept is no longer known', async () => {
    let gone = false;
    const { cluster, find } = standInCluster((nodeId) => !(gone && nodeId === 1));
    await find(transaction);
    cluster.coordinator = 3;
    gone = true;
    await expect(find(transaction)).resolves.toEqual({ nodeId: 3 });
    expect(cluster.lookups).toBe(2);
  });

  it('keeps a coordinator for a limited time only', async () => {
    vi.useFakeTimers();
    const { cluster, find } = standInCluster();
    await find(transaction);
    vi.advanceTimersByTime(COORDINATOR_KEPT_MS - 1);
    await find(transaction);
    expect(cluster.lookups).toBe(1);
    vi.advanceTimersByTime(1);
    await find(transaction);
    expect(cluster.lookups).toBe(2);
  });
});
