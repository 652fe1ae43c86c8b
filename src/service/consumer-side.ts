import type { Tracer } from '@opentelemetry/api';
import type { Config } from '../config.js';
import { createEventConsumer, type EventConsumer } from '../kafka/event-consumer.js';
import { startOutboxRelay, type OutboxRelay } from '../kafka/outbox-relay.js';
import { createOutcomeDelivery } from '../kafka/outcome-delivery.js';
import { createSizedSender } from '../kafka/sized-sender.js';
import type { KafkaClient } from '../kafka/port.js';
import { createPositionDelivery } from '../kafka/position-delivery.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { drainOutbox } from '../store/outcome-outbox.js';
import type { StartUpRetries } from './start-up-retries.js';
import type { Storage } from './storage.js';

export interface ConsumerSideDependencies {
  kafka: KafkaClient;
  storage: Storage;
  retries: StartUpRetries;
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}

/** What the consumer side has started so far: readiness and stop() look here, also when start-up failed half-way. */
export interface ConsumerSide {
  relay?: OutboxRelay;
  consumer?: EventConsumer;
}

/** Creates the topics, connects the outcome producer, starts the HTTP outbox relay and the event consumer, filling in `started`. */
export async function startConsumerSide(
  config: Config,
  deps: ConsumerSideDependencies,
  started: ConsumerSide,
): Promise<void> {
  const { kafka, storage, logger, metrics } = deps;
  const { keepTrying } = deps.retries;
  const topicConfig = { 'max.message.bytes': String(config.TOPIC_MAX_MESSAGE_BYTES) };
  const created = await keepTrying('creating Kafka topics', () =>
    kafka.ensureTopics([
      {
        topic: config.EVENTS_TOPIC,
        partitions: config.TOPIC_PARTITIONS,
        replicationFactor: config.TOPIC_REPLICATION_FACTOR,
        config: topicConfig,
      },
      {
        topic: config.OUTCOMES_TOPIC,
        partitions: config.TOPIC_PARTITIONS,
        replicationFactor: config.TOPIC_REPLICATION_FACTOR,
        config: topicConfig,
      },
    ]),
  );
  if (created.length) logger.info({ topics: created }, 'created Kafka topics');
  // The broker enforces the topic's own value, whoever created it.
  const maxMessageBytes = await keepTrying('reading the outcome topic limits', () =>
    kafka.topicMaxMessageBytes(config.OUTCOMES_TOPIC),
  );
  const transactionalIdPrefix = config.KAFKA_TRANSACTIONAL_ID_PREFIX ?? config.KAFKA_GROUP_ID;
  const onCompacted = (eventIds: readonly string[]) => {
    metrics.outcomesCompacted.inc(eventIds.length);
    logger.warn(
      { event_ids: eventIds, maxMessageBytes },
      'outcomes too large for the outcome topic were published in compact form',
    );
  };
  const delivery = await keepTrying(
    'connecting the outcome producer',
    () =>
      createOutcomeDelivery({
        kafka,
        mode: config.OUTCOME_DELIVERY,
        groupId: config.KAFKA_GROUP_ID,
        eventsTopic: config.EVENTS_TOPIC,
        outcomesTopic: config.OUTCOMES_TOPIC,
        transactionalIdPrefix,
        compression: config.OUTCOME_COMPRESSION,
        maxMessageBytes,
        onCompacted,
      }),
    (made) => made.close(),
  );
  started.relay = startOutboxRelay({
    delivery: createPositionDelivery({
      kafka,
      mode: config.OUTCOME_DELIVERY,
      send: createSizedSender(maxMessageBytes, onCompacted),
      outcomesTopic: config.OUTCOMES_TOPIC,
      positionGroupId: `${config.KAFKA_GROUP_ID}.http-outbox`,
      transactionalId: `${transactionalIdPrefix}-http-outbox`,
      compression: config.OUTCOME_COMPRESSION,
    }),
    drain: (work) => drainOutbox(storage.prisma, work),
    intervalMs: 1_000,
    retry: { initialMs: config.RETRY_INITIAL_MS, maxMs: config.RETRY_MAX_MS },
    maxAttempts: config.PROCESSING_MAX_ATTEMPTS,
    logger,
    onPublishFailure: () => metrics.outcomePublishFailures.inc(),
    onPositionAhead: () => metrics.outboxPositionAhead.inc(),
  });

  const consumer = createEventConsumer({
    kafka,
    delivery,
    decideBatch: storage.decideBatch,
    recordFailure: storage.recordFailure,
    maxAttempts: config.PROCESSING_MAX_ATTEMPTS,
    logger,
    metrics,
    tracer: deps.tracer,
    groupId: config.KAFKA_GROUP_ID,
    eventsTopic: config.EVENTS_TOPIC,
    concurrency: config.PARTITIONS_CONSUMED_CONCURRENTLY,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    lagSampleIntervalMs: config.LAG_SAMPLE_INTERVAL_MS,
    maxBatchSize: config.BATCH_MAX_SIZE,
    retry: { initialMs: config.RETRY_INITIAL_MS, maxMs: config.RETRY_MAX_MS },
  });
  started.consumer = consumer;
  await consumer.start();
  logger.info(
    { eventsTopic: config.EVENTS_TOPIC, outcomesTopic: config.OUTCOMES_TOPIC, groupId: config.KAFKA_GROUP_ID },
    'consuming events',
  );
}
