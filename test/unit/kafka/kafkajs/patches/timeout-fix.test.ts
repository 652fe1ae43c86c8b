import { describe, expect, it } from 'vitest';
import { nextCheckDelay } from '../../../../../src/kafka/kafkajs/patches/timeout-fix.js';

describe('kafkajs request queue timer', () => {
  it('waits for the end of a throttle still running', () => {
    expect(nextCheckDelay(1_500, 1_000, 0)).toBe(500);
    expect(nextCheckDelay(1_500, 1_000, 3)).toBe(500);
  });

  it('never asks for a negative delay once the throttle is over', () => {
    expect(nextCheckDelay(900, 1_000, 0)).toBe(0);
    expect(nextCheckDelay(0, 1_000, 2)).toBe(10);
  });
});
