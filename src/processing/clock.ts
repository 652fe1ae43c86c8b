import type { Micros } from '../domain/timestamp.js';

export type Clock = () => Micros;

/** Wall-clock time with microsecond resolution (Date alone only has milliseconds). */
export const systemClock: Clock = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
