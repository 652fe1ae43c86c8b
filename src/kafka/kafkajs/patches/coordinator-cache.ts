import { createRequire } from 'node:module';
import { isPatched, markPatched } from './marker.js';

// kafkajs 2.2.4 asks the brokers for a coordinator (FindCoordinator) before
// every request to one: a transaction made four lookups (for
// AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit's group and EndTxn),
// each a round trip of its own in the transaction's time. As the Java client
// does, the coordinator found is kept and asked directly until a request
// fails: any failure of a request to a broker (not the coordinator any more,
// coordinator loading or gone, the connection lost) forgets every coordinator
// kept, and the next request looks it up again. A wrong coordinator only
// answers NOT_COORDINATOR, so a stale entry costs a retry, never an effect.
// Kept at most COORDINATOR_KEPT_MS besides. Applied by ./index.ts.

type CoordinatorQuery = { groupId: string; coordinatorType?: number };

interface ClusterInternals {
  findGroupCoordinator(query: CoordinatorQuery): Promise<{ nodeId: number }>;
  findBroker(target: { nodeId: number }): Promise<{ nodeId: number }>;
}

export const COORDINATOR_KEPT_MS = 30_000;

/** Raised by every failed request: a coordinator kept under an older value is looked up again. */
let failures = 0;

interface Kept {
  nodeId: number;
  failures: number;
  until: number;
}

/** Per kafkajs cluster (one per client, producer, consumer, admin): coordinator type and id → node. */
const keptByCluster = new WeakMap<object, Map<string, Kept>>();

/** The node kept for `key`, if it is still to be trusted at `now`. */
export function keptCoordinator(kept: Map<string, Kept>, key: string, now: number): number | undefined {
  const entry = kept.get(key);
  if (entry && entry.failures === failures && now < entry.until) return entry.nodeId;
  kept.delete(key);
  return undefined;
}

/** Forgets every coordinator kept (a request failed). */
export function forgetCoordinators(): void {
  failures += 1;
}

const require = createRequire(import.meta.url);

/** Puts the methods in place of kafkajs's; false when they already are. */
export function installCoordinatorCache(): boolean {
  const Cluster = require('kafkajs/src/cluster/index.js') as { prototype: ClusterInternals };
  const Broker = require('kafkajs/src/broker/index.js') as { prototype: Record<symbol, unknown> };
  const lookUp = Cluster.prototype.findGroupCoordinator;
  if (isPatched(lookUp)) return false;

  const sendRequest = Object.getOwnPropertySymbols(Broker.prototype).find(
    (symbol) => symbol.description === 'private:Broker:sendRequest',
  );
  if (!sendRequest) throw new Error("kafkajs's Broker has no sendRequest method to watch for coordinator failures");
  const send = Broker.prototype[sendRequest] as (this: unknown, request: unknown) => Promise<unknown>;
  Broker.prototype[sendRequest] = markPatched(async function watchedSendRequest(this: unknown, request: unknown) {
    try {
      return await send.call(this, request);
    } catch (error) {
      forgetCoordinators();
      throw error;
    }
  });

  Cluster.prototype.findGroupCoordinator = markPatched(async function findGroupCoordinator(
    this: ClusterInternals,
    query: CoordinatorQuery,
  ) {
    let kept = keptByCluster.get(this);
    if (!kept) keptByCluster.set(this, (kept = new Map()));
    const key = `${query.coordinatorType ?? 0}:${query.groupId}`;
    const nodeId = keptCoordinator(kept, key, Date.now());
    if (nodeId !== undefined) {
      try {
        return await this.findBroker({ nodeId });
      } catch {
        // Gone from the metadata or unreachable: look it up as kafkajs does.
        kept.delete(key);
      }
    }
    const seenFailures = failures;
    const coordinator = await lookUp.call(this, query);
    kept.set(key, { nodeId: coordinator.nodeId, failures: seenFailures, until: Date.now() + COORDINATOR_KEPT_MS });
    return coordinator;
  });
  return true;
}
