import { setTimeout as sleep } from 'node:timers/promises';
import { toKafkaError } from '../kafka-errors.js';

/**
 * The waits before asking again while the coordinator answers
 * CONCURRENT_TRANSACTIONS: it is still writing the previous transaction's
 * commit markers, which takes milliseconds. The Java client asks again after
 * 20 ms at first (KAFKA-5477); this starts sooner and backs off, and after
 * about a second leaves the failure to the caller's own retries.
 */
export const MARKERS_PENDING_DELAYS_MS: readonly number[] = [5, 10, 20, 40, 80, 160, 320, 320];

/**
 * Runs `work` again while it fails with CONCURRENT_TRANSACTIONS. kafkajs
 * retries that answer to AddPartitionsToTxn (through the producer's retry) but
 * not to AddOffsetsToTxn, which it sends only once.
 */
export async function whileMarkersPending<T>(
  work: () => Promise<T>,
  delaysMs: readonly number[] = MARKERS_PENDING_DELAYS_MS,
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const delay = delaysMs[attempt];
      if (delay === undefined || toKafkaError(error).type !== 'CONCURRENT_TRANSACTIONS') throw error;
      await sleep(delay);
    }
  }
}
