import type { Config } from '../config.js';
import { formatInstant, type Micros } from '../domain/timestamp.js';
import { Prisma } from '../generated/prisma/client.js';
import { createKafkaClient } from '../kafka/kafkajs/client.js';
import type { KafkaClient } from '../kafka/port.js';
import { kafkaSecurity } from '../kafka/kafka-security.js';
import { toRequests } from '../kafka/outcome-requests.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createPrismaClient } from '../store/prisma-client.js';
import { dateText, instantText } from '../store/sql-time.js';
import { failureText } from './failure-text.js';
import { replayOutcome, type LedgerOutcomeRow } from './replay-outcome.js';

export interface RepublishOptions {
  /** DATABASE_URL, OUTCOMES_TOPIC, OUTCOME_COMPRESSION and the Kafka connection settings. */
  config: Config;
  /** Decisions made at or after this instant… */
  from: Micros;
  /** …and before this one. */
  to: Micros;
  /** Decisions read per page (default 1000). */
  pageSize?: number;
  /** Told after every page: outcomes published so far, and how many the range holds. */
  onProgress?: (published: number, total: number) => void;
  /** Where kafkajs's own warnings go (default: stderr). */
  logger?: Logger;
}

export interface RepublishResult {
  topic: string;
  published: number;
  /** Event ids of outcomes published in compact form, too large for the topic even alone. */
  compacted: string[];
}

/** Raised when publishing stopped part-way, saying from where to run again. */
export class RepublishError extends Error {
  constructor(
    /** Outcomes published for certain: every decision up to `lastProcessedAt`. */
    readonly published: number,
    readonly lastProcessedAt: string | null,
    cause: unknown,
  ) {
    const done =
      lastProcessedAt === null
        ? 'no page was published completely'
        : `the ${published} outcomes up to processed_at ${lastProcessedAt} were published; run again with --from ${lastProcessedAt} to go on`;
    super(`Re-publishing stopped (${done}): ${failureText(cause)}`, { cause });
    this.name = 'RepublishError';
  }
}

/** A day: the longest a run may keep its snapshot of the ledger open. */
const LONGEST_RUN_MS = 86_400_000;

/**
 * Publishes again, to the outcome topic, the outcome of every decision the
 * ledger holds with processed_at in [from, to), in (processed_at, event_id)
 * order, marked `replay: true`. The ledger is read through a cursor in one
 * repeatable-read snapshot, a page at a time, and each page is sent in
 * requests that fit the topic's max.message.bytes.
 */
export async function republishOutcomes(options: RepublishOptions): Promise<RepublishResult> {
  const { config, from, to, pageSize = 1000, onProgress } = options;
  if (from >= to) throw new RangeError(`--from (${formatInstant(from)}) must be before --to (${formatInstant(to)}).`);
  if (!Number.isSafeInteger(pageSize) || pageSize < 1)
    throw new RangeError(`pageSize must be a positive integer, got ${pageSize}.`);
  const topic = config.OUTCOMES_TOPIC;
  const kafka: KafkaClient = createKafkaClient({
    clientId: `${config.KAFKA_CLIENT_ID}-replay`,
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    logger: options.logger ?? createLogger('warn', process.stderr),
  });
  if (!(await kafka.listTopics()).includes(topic))
    throw new Error(`The outcome topic ${topic} does not exist (OUTCOMES_TOPIC).`);
  const maxBytes = await kafka.topicMaxMessageBytes(topic);
  const publisher = await kafka.connectPublisher({ compression: config.OUTCOME_COMPRESSION });
  const prisma = createPrismaClient(config.DATABASE_URL, 1);
  const result: RepublishResult = { topic, published: 0, compacted: [] };
  // Whole pages published: where a run that stopped can be taken up again.
  let confirmed = 0;
  let lastProcessedAt: string | null = null;
  try {
    await prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SET TRANSACTION READ ONLY`;
        const range = Prisma.sql`p.processed_at >= ${formatInstant(from)}::timestamptz AND p.processed_at < ${formatInstant(to)}::timestamptz`;
        const counted = await tx.$queryRaw<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM processed_events p WHERE ${range}`;
        const total = counted[0]?.n ?? 0;
        // One sort of the range, read a page at a time: no index on processed_at is needed.
        await tx.$executeRaw`
          DECLARE replay_outcomes NO SCROLL CURSOR FOR
          SELECT p.event_id, p.status::text AS status, p.code, p.message, p.error, p.source, p.revision,
                 ${instantText(Prisma.raw('p.processed_at'))} AS processed_at,
                 a.event_type AS type, a.contract_number, ${dateText(Prisma.raw('a.event_date'))} AS date,
                 ${instantText(Prisma.raw('a.event_created_at'))} AS created_at,
                 a.kafka_topic, a.kafka_partition, a.kafka_offset::text AS kafka_offset
          FROM processed_events p LEFT JOIN event_audit a ON a.event_id = p.event_id
          WHERE ${range}
          ORDER BY p.processed_at, p.event_id COLLATE "C"`;
        for (;;) {
          const rows = await tx.$queryRaw<
            LedgerOutcomeRow[]
          >`FETCH FORWARD ${Prisma.raw(String(pageSize))} FROM replay_outcomes`;
          if (rows.length === 0) break;
          const { requests, compacted } = toRequests(rows.map(replayOutcome), maxBytes);
          for (const request of requests) {
            await publisher.send(topic, request);
            result.published += request.length;
          }
          result.compacted.push(...compacted);
          confirmed = result.published;
          lastProcessedAt = rows.at(-1)!.processed_at;
          onProgress?.(result.published, Math.max(total, result.published));
        }
      },
      { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead, maxWait: 10_000, timeout: LONGEST_RUN_MS },
    );
    return result;
  } catch (error) {
    throw new RepublishError(confirmed, lastProcessedAt, error);
  } finally {
    await publisher.disconnect().catch(() => undefined);
    await prisma.$disconnect();
  }
}
