import { describe, expect, it } from 'vitest';
import { runPartitionsInTurn } from '../../../bench/partitions-in-turn.js';

describe('runPartitionsInTurn', () => {
  const partitions = [['a1', 'a2', 'a3'], ['b1'], ['c1', 'c2'], ['d1', 'd2', 'd3', 'd4']];

  it('runs every chunk once, each partition in order and never two of its chunks at once', async () => {
    const done: string[] = [];
    const running = new Set<string>();
    let mostAtOnce = 0;
    await runPartitionsInTurn(partitions, 2, async (chunk) => {
      const partition = chunk[0]!;
      expect(running.has(partition)).toBe(false);
      running.add(partition);
      mostAtOnce = Math.max(mostAtOnce, running.size);
      await new Promise((resolve) => setTimeout(resolve, 1));
      running.delete(partition);
      done.push(chunk);
    });
    expect([...done].sort()).toEqual(partitions.flat().sort());
    for (const chunks of partitions) expect(done.filter((chunk) => chunks.includes(chunk))).toEqual(chunks);
    expect(mostAtOnce).toBe(2);
  });

  it('lets partitions take turns rather than draining one before the next', async () => {
    const started: string[] = [];
    await runPartitionsInTurn(partitions, 1, async (chunk) => {
      started.push(chunk);
    });
    expect(started).toEqual(['a1', 'b1', 'c1', 'd1', 'a2', 'c2', 'd2', 'a3', 'd3', 'd4']);
  });
});
