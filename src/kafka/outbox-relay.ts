import type { Logger } from '../observability/logger.js';
import type { OutboxDrain, OutboxRow } from '../store/outcome-outbox.js';
import { backoffDelay } from './backoff.js';
import type { KafkaClient, Publisher, TransactionalPublisher } from './port.js';
import type { OutcomeDeliveryMode, SizedSender } from './outcome-delivery.js';
import { traceOutcome } from './outcome-traces.js';

export interface OutboxRelayOptions {
  kafka: KafkaClient;
  mode: OutcomeDeliveryMode;
  /** Runs `work` as the only drainer of the outbox, in one database transaction. */
  drain<T>(work: (outbox: OutboxDrain) => Promise<T>): Promise<T>;
  send: SizedSender;
  outcomesTopic: string;
  /**
   * Where the relay keeps its position: the committed offset of this group on
   * partition 0 of the outcome topic is the id of the next outbox row to
   * publish, and its metadata the uid of the row before it, written in the
   * same Kafka transaction as the outcomes.
   */
  positionGroupId: string;
  transactionalId: string;
  compression: 'none' | 'gzip';
  /** How often the outbox is looked at when nobody wakes the relay (rows left by a crashed instance). */
  intervalMs: number;
  retry: { initialMs: number; maxMs: number };
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
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  let producer: Promise<TransactionalPublisher | Publisher> | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;

  const connect = () =>
    options.mode === 'transactional'
      ? options.kafka.connectTransactionalPublisher(options.transactionalId, { compression: options.compression })
      : options.kafka.connectPublisher({ compression: options.compression });

  /** `rows` without those the committed position says were published (by a relay that died before it could delete them), which are deleted. */
  const unpublished = async (outbox: OutboxDrain, rows: OutboxRow[]): Promise<OutboxRow[]> => {
    const { nextOffset: next, metadata: uid } = await options.kafka.committedOffset(options.positionGroupId, options.outcomesTopic, 0);
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
      const rows = await outbox.pending(ROWS_PER_TRANSACTION);
      if (rows.length === 0) return false;
      // Connecting fences an older relay with our transactional id: nothing commits behind the position we read next.
      producer ??= connect();
      const publisher = await producer;
      const fresh = 'sendInTransaction' in publisher ? await unpublished(outbox, rows) : rows;
      const last = fresh.at(-1);
      if (!last) return true;
      await options.send(async (requests) => {
        if ('sendInTransaction' in publisher) {
          const consumed = { groupId: options.positionGroupId, topic: options.outcomesTopic, partition: 0, nextOffset: String(last.id + 1n), metadata: last.uid };
          await publisher.sendInTransaction(options.outcomesTopic, requests, consumed);
        } else {
          for (const messages of requests) await publisher.send(options.outcomesTopic, messages);
        }
      }, fresh.map((row) => traceOutcome(row.outcome, row.trace)));
      await outbox.published(last);
      return rows.length === ROWS_PER_TRANSACTION;
    });

  const schedule = (delayMs: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, delayMs);
  };

  function run(): void {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        let more = true;
        while (more && !stopped) more = await publishOnce();
        failures = 0;
        schedule(again ? 0 : options.intervalMs);
      } catch (error) {
        // Start the next attempt from a fresh producer, which also ends anything the old one left open.
        const stale = producer;
        producer = undefined;
        await stale?.then((p) => p.disconnect()).catch(() => undefined);
        options.onPublishFailure();
        const delayMs = backoffDelay(failures, options.retry.initialMs, options.retry.maxMs);
        failures += 1;
        options.logger.warn({ err: error, attempt: failures, delayMs }, 'publishing outcomes of HTTP decisions failed; retrying');
        schedule(delayMs);
      } finally {
        again = false;
        running = undefined;
      }
    })();
  }

  schedule(0);
  return {
    wake: () => schedule(0),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      // One last pass so a graceful stop leaves nothing behind that it could publish.
      await publishOnce().catch((error: unknown) => options.logger.warn({ err: error }, 'outcomes of HTTP decisions left in the outbox at stop; the next instance publishes them'));
      await producer?.then((p) => p.disconnect()).catch(() => undefined);
    },
  };
}
