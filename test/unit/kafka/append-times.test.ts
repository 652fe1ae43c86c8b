import { describe, expect, it } from 'vitest';
import { AppendTimes } from '../../../src/kafka/append-times.js';

// Times in ms; expected ages worked out by hand from the sightings.

describe('append times from end-offset sightings', () => {
  it('says 0 for an offset no record has reached yet (caught up)', () => {
    const times = new AppendTimes();
    times.observe(0, 100n, 0);
    expect(times.secondsBehind(0, 100n, 5_000)).toBe(0);
    expect(times.secondsBehind(1, 0n, 5_000)).toBe(0);
  });

  it('places a record between the last sighting without it and the first with it, at an even rate', () => {
    const times = new AppendTimes();
    times.observe(0, 100n, 0);
    times.observe(0, 100n, 10_000); // still 100 ten seconds later
    times.observe(0, 200n, 20_000);
    // Records 100..199 arrived between 10 s and 20 s: 100 at 10 s, 150 at 15 s.
    expect(times.secondsBehind(0, 100n, 25_000)).toBe(15);
    expect(times.secondsBehind(0, 150n, 25_000)).toBe(10);
  });

  it('grows with the clock while the position stands still (an outage)', () => {
    const times = new AppendTimes();
    times.observe(0, 100n, 0);
    times.observe(0, 120n, 1_000);
    const ages = [11_000, 21_000, 31_000].map((now) => {
      times.observe(0, 120n + BigInt(now), now);
      return times.secondsBehind(0, 100n, now);
    });
    expect(ages).toEqual([11, 21, 31]);
  });

  it('takes the first sighting as a lower bound for older records, and ignores an older answer arriving late', () => {
    const times = new AppendTimes();
    times.observe(0, 100n, 0);
    times.observe(0, 200n, 20_000);
    times.observe(0, 150n, 21_000);
    expect(times.secondsBehind(0, 40n, 30_000)).toBe(30);
    expect(times.secondsBehind(0, 150n, 30_000)).toBe(20);
  });

  it('keeps the oldest sighting when full, so old records keep their age', () => {
    const times = new AppendTimes(4);
    for (const [index, end] of [10n, 20n, 30n, 40n, 50n].entries()) times.observe(0, end, index * 1_000);
    expect(times.secondsBehind(0, 5n, 10_000)).toBe(10);
    // 25 is between the sightings of 10 (0 s) and 30 (2 s) that were kept: 1.5 s.
    expect(times.secondsBehind(0, 25n, 10_000)).toBe(8.5);
  });

  it('forgets a partition', () => {
    const times = new AppendTimes();
    times.observe(3, 100n, 0);
    times.forget(3);
    expect(times.secondsBehind(3, 0n, 10_000)).toBe(0);
  });
});
