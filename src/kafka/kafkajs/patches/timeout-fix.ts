import { createRequire } from 'node:module';
import { isPatched, markPatched } from './marker.js';

// kafkajs 2.2.4 schedules its request queue's next look at `throttledUntil -
// now`, which is negative once a broker throttle is over. Node runs such a
// timer after 1 ms anyway, but from Node 23 on it also prints a
// TimeoutNegativeWarning on stderr, outside the JSON log. The same method with
// the delay kept at 0 or more; applied by ./index.ts.

interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

/** kafkajs's own interval for a queue with pending requests and no throttle. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The delay kafkajs means: until the throttle ends, or its interval when requests wait; never negative. */
export function nextCheckDelay(throttledUntil: number, now: number, pendingRequests: number): number {
  const untilThrottleEnds = throttledUntil - now;
  if (untilThrottleEnds > 0) return untilThrottleEnds;
  return pendingRequests > 0 ? CHECK_PENDING_REQUESTS_INTERVAL_MS : 0;
}

const require = createRequire(import.meta.url);

/** Puts the method in place of kafkajs's; false when it already is. */
export function installTimeoutFix(): boolean {
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueueInternals & { scheduleCheckPendingRequests(): void };
  };
  if (isPatched(RequestQueue.prototype.scheduleCheckPendingRequests)) return false;
  RequestQueue.prototype.scheduleCheckPendingRequests = markPatched(function scheduleCheckPendingRequests(
    this: RequestQueueInternals,
  ) {
    if (this.throttleCheckTimeoutId) return;
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      nextCheckDelay(this.throttledUntil, Date.now(), this.pending.length),
    );
  });
  return true;
}
