import { describe, expect, it } from 'vitest';
import { progressLine } from '../../../src/replay/progress.js';

describe('progressLine', () => {
  it('writes at most one line per interval', () => {
    let now = 0;
    const written: string[] = [];
    const progress = progressLine('checked', 'contracts', {
      intervalMs: 2_000,
      write: (line) => written.push(line),
      now: () => now,
    });
    progress(500, 50_000);
    now = 1_999;
    progress(1_000, 50_000);
    now = 2_000;
    progress(1_500, 50_000);
    now = 3_000;
    progress(2_000, 50_000);
    now = 4_100;
    progress(2_500, 50_000);
    expect(written).toEqual(['checked 1500 of 50000 contracts\n', 'checked 2500 of 50000 contracts\n']);
  });
});
