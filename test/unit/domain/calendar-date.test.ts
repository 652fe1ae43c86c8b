import { describe, it, expect } from 'vitest';
import { isCalendarDate } from '../../../src/domain/calendar-date.js';

describe('isCalendarDate', () => {
  it.each(['2024-02-29', '2000-02-29', '2023-12-31', '0001-01-01', '9999-12-31', '2024-04-30'])(
    'accepts %s',
    (text) => {
      expect(isCalendarDate(text)).toBe(true);
    },
  );

  it.each([
    ['2024-02-30', 'no 30 February'],
    ['2023-02-29', 'no leap day in a common year'],
    ['1900-02-29', 'century years are not leap years'],
    ['2024-04-31', 'April has 30 days'],
    ['2024-13-01', 'month 13'],
    ['2024-00-10', 'month 0'],
    ['2024-01-00', 'day 0'],
    ['0000-01-01', 'year 0'],
    ['2024-1-01', 'one-digit month'],
    ['2024-01-1', 'one-digit day'],
    ['24-01-01', 'two-digit year'],
    ['2024/01/01', 'wrong separator'],
    ['2024-01-01T00:00:00Z', 'a date-time'],
    [' 2024-01-01', 'leading space'],
    ['2024-01-01\n', 'trailing newline'],
    ['２０２４-01-01', 'non-ASCII digits'],
    ['', 'empty'],
  ])('rejects %s (%s)', (text) => {
    expect(isCalendarDate(text)).toBe(false);
  });

  it('orders strictly formatted dates chronologically as strings', () => {
    expect('2024-02-29' < '2024-03-01').toBe(true);
    expect('0999-12-31' < '1000-01-01').toBe(true);
  });
});
