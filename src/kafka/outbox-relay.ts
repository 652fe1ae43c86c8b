import type { Logger } from '../observability/logger.js';
import type { OutboxDrain, OutboxRow } from '../store/outcome-outbox.js';
import { retryUntilDone, StopRequested } from './backoff.js';
import type { CommittedOffset } from './port.js';
import { traceOutcome } from './outcome-traces.js';
import type { PositionDelivery } from './position-delivery.js';

export interface OutboxRelayOptions {
  /** Publishes the outcomes and keeps the relay's position (see createPositionDelivery). */
  delivery: PositionDelivery;
  /** Runs `work` as the only drainer of the outbox, in one database transaction. */
  drain<T>(work: (outbox: OutboxDrain) => Promise<T>): Promise<T>;
  /** How often the outbox is looked at when nobody wakes the relay (rows left by a crashed instance). */
  intervalMs: number;
  retry: { initialMs: number; maxMs: number };
  /** Attempts at publishing that fails unexpectedly (PROCESSING_MAX_ATTEMPTS) before the relay says it is stuck. */
  maxAttempts: number;
  logger: Logger;
  onPublishFailure(): void;
  /** Outbox rows below the position that it does not name: ids went backwards (a database restore, RESTART IDENTITY). */
  onPositionAhead(): void;
}

export interface OutboxRelay {
  /** Publish what was just added to the outbox. */
  wake(): void;
  stop(): Promise<void>;
}

const ROWS_PER_TRANSACTION = 500;

/**
 * Publishes the outcomes of HTTP decisions, oldest first. In transactional
 * mode the outcomes and the relay's position commit in one Kafka transaction,
 * and rows up to the row that position names (by id and uid) are only
 * deleted, never sent again: every outcome is published exactly once even when
 * a relay dies between Kafka and Postgres. Rows below a position that names no
 * row of the outbox were not published under it, and are.
 *
 * Failures follow the consumer's retry policy (src/kafka/backoff.ts): outages
 * are retried with backoff without limit; a permanent failure, or an unexpected
 * one `maxAttempts` times, is logged at `error` with the outbox ids in hand and
 * tried again every `retry.maxMs`. No row is ever skipped: each is a decision
 * already made and answered, so there is no PROCESSING_FAILED to give instead.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { delivery } = options;
  let running: Promise<void> | undefined;
  let again = false;
  const stopping = new AbortController();
  const stopped = () => stopping.signal.aborted;
  let timer: NodeJS.Timeout | undefined;
  /** Failed for good last time: waits `retry.maxMs`, not cut short by wake(). */
  let stuck = false;
  /** The outbox ids of the publication in hand, named when it fails. */
  let inHand: { firstId: string; lastId: string } | undefined;

  /** `rows` without those the committed position says were published (by a relay that died before it could delete them), which are deleted. */
  const unpublished = async (
    outbox: OutboxDrain,
    rows: OutboxRow[],
    { nextOffset: next, metadata: uid }: CommittedOffset,
  ): Promise<OutboxRow[]> => {
    if (rows[0]!.id >= next) return rows;
    if (uid !== null && (await outbox.published({ id: next - 1n, uid }))) return rows.filter((row) => row.id >= next);
    options.onPositionAhead();
    options.logger.warn(
      { position: String(next), oldestId: String(rows[0]!.id) },
      'the outbox relay position in Kafka is ahead of the outbox (ids went backwards: a database restore, RESTART IDENTITY?); publishing the rows below it',
    );
    return rows;
  };

  /** One transaction's worth; true when more rows wait. */
  const publishOnce = () =>
    options.drain(async (outbox) => {
      inHand = undefined;
      const rows = await outbox.pending(ROWS_PER_TRANSACTION);
      if (rows.length === 0) return false;
      inHand = { firstId: String(rows[0]!.id), lastId: String(rows.at(-1)!.id) };
      const position = await delivery.claim();
      const fresh = position ? await unpublished(outbox, rows, position) : rows;
      const last = fresh.at(-1);
      if (!last) return true;
      await delivery.deliver(
        fresh.map((row) => traceOutcome(row.outcome, row.trace)),
        { nextOffset: last.id + 1n, metadata: last.uid },
      );
      await outbox.published(last);
      return rows.length === ROWS_PER_TRANSACTION;
    });

  const schedule = (delayMs: number) => {
    if (stopped()) return;
    clearTimeout(timer);
    timer = setTimeout(run, delayMs);
  };

  /** Everything that waits, as one attempt; a failed one leaves a fresh producer for the next. */
  const publishAll = async () => {
    try {
      let more = true;
      while (more && !stopped()) more = await publishOnce();
    } catch (error) {
      // A fresh producer also ends anything the old one left open.
      await delivery.reset();
      throw error;
    }
  };

  const publishRetrying = () =>
    retryUntilDone(publishAll, {
      ...options.retry,
      unexpectedAttempts: options.maxAttempts,
      shouldContinue: () => !stopped(),
      signal: stopping.signal,
      keepAlive: async () => undefined,
      onFailure: (error, attempt, delayMs) => {
        options.onPublishFailure();
        options.logger.warn(
          { err: error, attempt, delayMs, ...inHand },
          'publishing outcomes of HTTP decisions failed; retrying',
        );
      },
    });

  function run(): void {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        await publishRetrying();
        stuck = false;
        schedule(again ? 0 : options.intervalMs);
      } catch (error) {
        if (error instanceof StopRequested) return;
        // Permanent, or unexpected every time: the rows stay, in order, until an operator fixes the cause.
        stuck = true;
        options.onPublishFailure();
        options.logger.error(
          { err: error, delayMs: options.retry.maxMs, ...inHand },
          'publishing outcomes of HTTP decisions keeps failing; they stay in the outbox and are tried again',
        );
        schedule(options.retry.maxMs);
      } finally {
        again = false;
        running = undefined;
      }
    })();
  }

  schedule(0);
  return {
    // While stuck, requests deciding into the outbox must not turn its wait into a loop of error lines.
    wake() {
      if (!stuck) schedule(0);
    },
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
      // One last pass so a graceful stop leaves nothing behind that it could publish.
      await publishOnce().catch((error: unknown) =>
        options.logger.warn(
          { err: error },
          'outcomes of HTTP decisions left in the outbox at stop; the next instance publishes them',
        ),
      );
      await delivery.reset();
    },
  };
}
