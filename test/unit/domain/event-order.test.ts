import { describe, expect, it } from 'vitest';
import { compareEventKeys } from '../../../src/domain/event-order.js';
import { at } from './fixtures.js';

const key = (createdAt: string, eventId: string) => ({ createdAt: at(createdAt), eventId });
const sign = (n: number) => Math.sign(n);

describe('created_at order', () => {
  it('orders by created_at to the microsecond first', () => {
    expect(
      sign(compareEventKeys(key('2024-01-01T10:00:00.000001Z', 'z'), key('2024-01-01T10:00:00.000002Z', 'a'))),
    ).toBe(-1);
    expect(
      sign(compareEventKeys(key('2024-01-01T10:00:00.000002Z', 'a'), key('2024-01-01T10:00:00.000001Z', 'z'))),
    ).toBe(1);
  });

  it('breaks ties by event_id in code point order, not by locale or UTF-16 unit', () => {
    const tie = (a: string, b: string) =>
      sign(compareEventKeys(key('2024-01-01T10:00:00Z', a), key('2024-01-01T10:00:00Z', b)));
    expect(tie('a', 'b')).toBe(-1);
    expect(tie('Z', 'a')).toBe(-1); // U+005A before U+0061; a locale sort puts a first
    expect(tie('ab', 'abc')).toBe(-1);
    expect(tie('same', 'same')).toBe(0);
    // U+FFFF is one UTF-16 unit, U+1F600 a surrogate pair starting 0xD83D: by code point U+FFFF comes first.
    expect(tie('\uFFFF', '\u{1F600}')).toBe(-1);
    expect(tie('\u{1F600}', '\uFFFF')).toBe(1);
  });
});
