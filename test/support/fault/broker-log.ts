// What a Kafka broker's own log says it skipped. Kafka 4.4's transaction
// coordinator treats a partition that has no leader at the moment it sends a
// transaction's markers as deleted and completes the transaction without
// them (TransactionMarkerChannelManager, since KAFKA-5202). A single broker
// killed with `kill -9` and restarted gets there: its stale registration is
// fenced a few seconds after the restart, its partitions lose their leader,
// and the markers of a transaction the coordinator was finishing are lost.
// The records stay open in the log until the same producer's next commit
// marker closes them as committed, and the consumed offset the transaction
// carried is never committed, so the chunk is answered twice.

/** A transaction whose markers the broker skipped, with the partitions it skipped (`topic-N`). */
export interface SkippedMarkers {
  transactionalId: string;
  partitions: string[];
}

const SKIPPED =
  /Couldn't find leader endpoint for partitions Set\(([^)]*)\) while trying to send transaction markers for (\S+?),/g;

/** Every transaction whose markers the log says were skipped, in log order. */
export function skippedTransactionMarkers(log: string): SkippedMarkers[] {
  return [...log.matchAll(SKIPPED)].map((match) => ({
    transactionalId: match[2]!,
    partitions: match[1]!
      .split(',')
      .map((partition) => partition.trim())
      .filter(Boolean),
  }));
}

/** The partition numbers of `topic` among `partitions` (`topic-N` names). */
export function partitionsOfTopic(partitions: readonly string[], topic: string): number[] {
  const prefix = `${topic}-`;
  return partitions
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length)));
}
