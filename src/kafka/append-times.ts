/**
 * Roughly when each offset of a partition was appended, from when its end
 * offset was seen to move: the method of kafka-lag-exporter, which turns a
 * lag in messages into a lag in time without reading any record. Between two
 * sightings of the end offset, the records in between are taken to have
 * arrived at an even rate. The resolution is the interval of the sightings.
 */
export class AppendTimes {
  /** Per partition, each end offset seen, oldest first, with when it was first and last seen. */
  private readonly sightings = new Map<number, Sighting[]>();

  /** At most `keep` sightings per partition (by default over 5 h of sightings 10 s apart; older ones then thin out). */
  constructor(private readonly keep = 2_048) {}

  /** The partition's end offset (the offset its next record will get) was `end` at `at` (ms). */
  observe(partition: number, end: bigint, at: number): void {
    let sightings = this.sightings.get(partition);
    if (!sightings) this.sightings.set(partition, (sightings = []));
    const last = sightings.at(-1);
    if (last && end <= last.end) {
      // Unchanged (or an older answer arriving late): only how long it stayed.
      if (end === last.end && at > last.lastSeen) last.lastSeen = at;
      return;
    }
    sightings.push({ end, firstSeen: at, lastSeen: at });
    // Full: every other sighting of the older half goes, so old records keep an age, only a coarser one.
    if (sightings.length > this.keep) {
      const half = Math.floor(sightings.length / 2);
      this.sightings.set(partition, [
        ...sightings.slice(0, half).filter((_, index) => index % 2 === 0),
        ...sightings.slice(half),
      ]);
    }
  }

  /**
   * How many seconds ago the record at `offset` was appended, at `now` (ms):
   * 0 when no record at or after `offset` has been seen (caught up). For a
   * record older than the first sighting, the age of that sighting: a lower
   * bound.
   */
  secondsBehind(partition: number, offset: bigint, now: number): number {
    const sightings = this.sightings.get(partition) ?? [];
    // The first sighting that already held the record: it was appended by then.
    const index = sightings.findIndex((sighting) => sighting.end > offset);
    if (index === -1) return 0;
    const after = sightings[index]!;
    const before = sightings[index - 1];
    let appendedAt = after.firstSeen;
    if (before) {
      // Appended after `before` was last seen and by `after` was first seen, at an even rate in between.
      const share = Number(offset - before.end) / Number(after.end - before.end);
      appendedAt = before.lastSeen + share * (after.firstSeen - before.lastSeen);
    }
    return Math.max(0, (now - appendedAt) / 1000);
  }

  forget(partition: number): void {
    this.sightings.delete(partition);
  }
}

interface Sighting {
  end: bigint;
  firstSeen: number;
  lastSeen: number;
}
