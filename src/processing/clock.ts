import { instantFromEpochMillis, type Micros } from '../domain/timestamp.js';

export type Clock = () => Micros;

/** Wall-clock time with microsecond resolution (Date alone only has milliseconds). */
export const systemClock: Clock = () => instantFromEpochMillis(performance.timeOrigin + performance.now());
