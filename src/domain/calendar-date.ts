import { isValidCivilDate } from './civil-calendar.js';

/** A strict `YYYY-MM-DD` date; the fixed width makes string order chronological order. */
export type CalendarDate = string;

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a strict `YYYY-MM-DD` text naming a real date in years 0001–9999. */
export function isCalendarDate(text: string): boolean {
  const match = CALENDAR_DATE.exec(text);
  if (!match) return false;
  const [, year = '', month = '', day = ''] = match;
  return isValidCivilDate({ year: Number(year), month: Number(month), day: Number(day) });
}
