import { describe, expect, it } from 'vitest';
import { parseStageBuckets, quantileBetween } from '../../../bench/measure/stage-split.js';

const exposition = (stage: string, counts: [le: string, count: number][]) =>
  counts.map(([le, count]) => `contract_events_chunk_stage_seconds_bucket{le="${le}",stage="${stage}"} ${count}`);

const scrape = (deciding: number[], waiting: number[] = [0, 0, 0, 0]) => {
  const bounds = ['0.01', '0.02', '0.05', '+Inf'];
  const pair = (counts: number[]) => bounds.map((le, i): [string, number] => [le, counts[i]!]);
  return parseStageBuckets(
    [
      '# TYPE contract_events_chunk_stage_seconds histogram',
      ...exposition('deciding', pair(deciding)),
      ...exposition('waiting', pair(waiting)),
      'contract_events_chunk_stage_seconds_sum{stage="deciding"} 3.2',
    ].join('\n'),
  );
};

describe('quantileBetween', () => {
  it('reads the quantile of what was observed between the scrapes, linear within its bucket', () => {
    // Between the scrapes: 10 chunks ≤ 10 ms, 40 in (10, 20], 50 in (20, 50].
    const before = scrape([2, 2, 2, 2]);
    const after = scrape([12, 52, 102, 102]);
    // rank 99 of 100 falls 49/50 of the way through (20 ms, 50 ms]: 20 + 30 × 0.98 = 49.4.
    expect(quantileBetween(before, after, 'deciding', 0.99)).toEqual({ ms: 49, count: 100 });
    // rank 50 is the top of (10 ms, 20 ms].
    expect(quantileBetween(before, after, 'deciding', 0.5)).toEqual({ ms: 20, count: 100 });
  });

  it('answers the last finite bound when the quantile lies beyond it', () => {
    expect(quantileBetween(scrape([0, 0, 0, 0]), scrape([0, 0, 0, 5]), 'deciding', 0.99)).toEqual({
      ms: 50,
      count: 5,
    });
  });

  it('answers null for a stage with nothing observed between the scrapes', () => {
    const same = scrape([3, 3, 3, 3]);
    expect(quantileBetween(same, same, 'deciding', 0.99)).toEqual({ ms: null, count: 0 });
    expect(quantileBetween(same, same, 'publishing', 0.99)).toEqual({ ms: null, count: 0 });
  });
});
