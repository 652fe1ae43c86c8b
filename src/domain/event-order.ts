import type { Micros } from './timestamp.js';

/** Where an event stands in EVENT_ORDER=created_at mode: by created_at, ties broken by event_id. */
export interface EventKey {
  createdAt: Micros;
  eventId: string;
}

/**
 * Negative when `a` comes first. Event ids compare by Unicode code point (the
 * byte order of their UTF-8, Postgres' `COLLATE "C"`), not by UTF-16 unit or
 * locale, so every reader of the audit orders them the same way.
 */
export function compareEventKeys(a: EventKey, b: EventKey): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return compareCodePoints(a.eventId, b.eventId);
}

function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const difference = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
}
