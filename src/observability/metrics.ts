import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EVENT_TYPES } from '../domain/catalogue.js';
import { PROCESSING_FAILED, outcomeSourceSchema } from '../schemas/outcome.js';

/** Every metric the service exports, on one registry per process. */
export interface Metrics {
  registry: Registry;
  eventsProcessed: Counter<'status' | 'code' | 'type' | 'duplicate'>;
  processingSeconds: Histogram<'source'>;
  dbTransactionSeconds: Histogram;
  chunkStageSeconds: Histogram<'stage'>;
  batchSize: Histogram;
  consumerLag: Gauge<'topic' | 'partition'>;
  consumerLagSeconds: Gauge<'topic' | 'partition'>;
  outcomePublishFailures: Counter;
  outcomesCompacted: Counter;
  outboxPositionAhead: Counter;
  databaseRetries: Counter;
  rebalances: Counter;
  eventIdConflicts: Counter<'source'>;
  decisionsRevised: Counter<'status' | 'code'>;
  ready: Gauge;
  /** From now on, `contract_events_ready` is what `isReady` answers at each scrape. */
  watchReadiness(isReady: () => Promise<boolean>): void;
}

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Finer where the end-to-end latency target (250 ms) is decided, so a p99 read from the buckets means something. */
const stageBuckets = [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let isReady: (() => Promise<boolean>) | undefined;
  const metrics: Metrics = {
    registry,
    eventsProcessed: new Counter({
      name: 'contract_events_processed_total',
      help: 'Consumed events by outcome status, code and event type.',
      labelNames: ['status', 'code', 'type', 'duplicate'],
      registers: [registry],
    }),
    processingSeconds: new Histogram({
      name: 'contract_events_processing_seconds',
      help: 'Time to decide and record a batch of events (one database transaction), by source.',
      labelNames: ['source'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    dbTransactionSeconds: new Histogram({
      name: 'contract_events_db_transaction_seconds',
      help: 'Duration of the database transactions that decide a batch.',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    chunkStageSeconds: new Histogram({
      name: 'contract_events_chunk_stage_seconds',
      help: "Where a consumed chunk spends its time, by stage: waiting (from its oldest message's timestamp until work on it starts: the fetch and the queue behind other partitions and chunks), deciding (the database transaction), publishing (outcomes and offsets, the Kafka transaction in transactional mode).",
      labelNames: ['stage'],
      buckets: stageBuckets,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'contract_events_batch_size',
      help: 'Number of events decided in one database transaction.',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'contract_events_consumer_lag',
      help: 'Messages between the high watermark and the next offset to process, per partition.',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    consumerLagSeconds: new Gauge({
      name: 'contract_events_consumer_lag_seconds',
      help: 'Age in seconds of the oldest event not yet processed, per partition (0 when caught up), estimated from when the end offset moved.',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    outcomePublishFailures: new Counter({
      name: 'contract_events_outcome_publish_failures_total',
      help: 'Failed attempts to publish outcomes to Kafka (each is retried).',
      registers: [registry],
    }),
    outcomesCompacted: new Counter({
      name: 'contract_events_outcomes_compacted_total',
      help: "Outcomes too large for the outcome topic's max.message.bytes, published in compact form (details dropped).",
      registers: [registry],
    }),
    outboxPositionAhead: new Counter({
      name: 'contract_events_outbox_position_ahead_total',
      help: 'Times the outbox relay found rows below its position in Kafka that the position does not name (outbox ids went backwards: a database restore, RESTART IDENTITY); it publishes them.',
      registers: [registry],
    }),
    databaseRetries: new Counter({
      name: 'contract_events_database_retries_total',
      help: 'Batches retried after a failed database transaction.',
      registers: [registry],
    }),
    rebalances: new Counter({
      name: 'contract_events_rebalances_total',
      help: 'Consumer group rebalances this instance took part in.',
      registers: [registry],
    }),
    eventIdConflicts: new Counter({
      name: 'contract_events_event_id_conflicts_total',
      help: 'Events refused with EVENT_ID_CONFLICT: an event_id already decided for other content (by kafka or http).',
      labelNames: ['source'],
      registers: [registry],
    }),
    decisionsRevised: new Counter({
      name: 'contract_events_decisions_revised_total',
      help: 'Earlier decisions changed by a late event (EVENT_ORDER=created_at), by the new status and code.',
      labelNames: ['status', 'code'],
      registers: [registry],
    }),
    ready: new Gauge({
      name: 'contract_events_ready',
      help: '1 when /health/ready answers 200 (database, Kafka and the consumer fine), else 0; checked at each scrape.',
      registers: [registry],
      async collect() {
        if (isReady) this.set((await isReady()) ? 1 : 0);
      },
    }),
    watchReadiness(check) {
      isReady = check;
    },
  };
  exportAlertedSeriesFromZero(metrics);
  return metrics;
}

/**
 * increase() sees nothing in a series' first sample, so a labelled series born
 * at 1 would never fire the alert that watches it. The series the alerts
 * watch are exported at 0 from the start (Prometheus's "avoid missing metrics").
 */
function exportAlertedSeriesFromZero({ eventsProcessed, eventIdConflicts }: Metrics): void {
  for (const type of EVENT_TYPES)
    eventsProcessed.inc({ status: 'error', code: PROCESSING_FAILED, type, duplicate: 'false' }, 0);
  for (const source of outcomeSourceSchema.options) eventIdConflicts.inc({ source: source.shape.transport.value }, 0);
}
