// How the service's consumer spreads work, without Kafka: the chunks of one
// partition one after another and in order, up to `concurrency` partitions at
// once, partitions taking turns (as kafkajs hands out fetched batches), so
// they finish together and the concurrency holds to the end.

/** Runs `work` on every chunk of `partitions` (one array of chunks per partition). */
export async function runPartitionsInTurn<T>(
  partitions: readonly (readonly T[])[],
  concurrency: number,
  work: (chunk: T) => Promise<void>,
): Promise<void> {
  const nextChunk = partitions.map(() => 0);
  const busy = new Set<number>();
  let turn = 0;
  const takePartition = (): number | undefined => {
    for (let step = 0; step < partitions.length; step++) {
      const partition = (turn + step) % partitions.length;
      if (!busy.has(partition) && nextChunk[partition]! < partitions[partition]!.length) {
        turn = partition + 1;
        return partition;
      }
    }
    return undefined;
  };
  // A worker stops when every partition with chunks left is busy: those have a worker already.
  const worker = async (): Promise<void> => {
    for (let partition = takePartition(); partition !== undefined; partition = takePartition()) {
      busy.add(partition);
      try {
        await work(partitions[partition]![nextChunk[partition]!++]!);
      } finally {
        busy.delete(partition);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
