import { randomUUID } from 'node:crypto';
import { createKafkaClient } from '../../../src/kafka/kafkajs/client.js';
import type { KafkaClient, OutboundMessage, TopicSpec } from '../../../src/kafka/port.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createTestDatabase, withClient, type TestDatabase } from '../database.js';
import { readOutcomes, type ReadOutcome } from '../outcome-reader.js';
import { readTopic, type TopicRecord } from '../topic-reader.js';
import { deliveryFromEnv, reconcile, type OutcomeDelivery, type Reconciliation } from './reconcile.js';

/** One fault scenario's world: its own database, topics and consumer group on a given broker. */
export interface Scenario {
  name: string;
  brokers: string;
  kafka: KafkaClient;
  db: TestDatabase;
  /** Environment for a service process of this scenario. */
  env: Record<string, string>;
  eventsTopic: string;
  outcomesTopic: string;
  groupId: string;
  createContracts(contracts: ReadonlyMap<string, readonly string[]>): Promise<void>;
  /** Sends the messages in order, in chunks; with `perSecond`, paced like a live upstream. */
  produce(messages: readonly OutboundMessage[], perSecond?: number): Promise<void>;
  /** Outcomes published so far (reads until `expected` or the timeout). */
  outcomes(expected: number, timeoutMs?: number): Promise<ReadOutcome[]>;
  /** The events topic as Kafka holds it. */
  produced(expected: number): Promise<TopicRecord[]>;
  /** Delivery defaults to the scenario env's OUTCOME_DELIVERY (itself defaulting to transactional). */
  reconcile(
    contracts: ReadonlyMap<string, readonly string[]>,
    expectedMessages: number,
    options?: { delivery?: OutcomeDelivery },
  ): Promise<Reconciliation>;
  dispose(): Promise<void>;
}

export interface ScenarioOptions {
  name: string;
  brokers: string;
  partitions: number;
  /** Replicas of both topics (default 1). */
  replicationFactor?: number;
  /** Settings of both topics, e.g. `min.insync.replicas`. */
  topicConfig?: Record<string, string>;
  /** Settings of the events topic only, over `topicConfig`. */
  eventsTopicConfig?: Record<string, string>;
  /** Settings of the outcome topic only, over `topicConfig`. */
  outcomesTopicConfig?: Record<string, string>;
}

export async function createScenario(options: ScenarioOptions): Promise<Scenario> {
  const run = `${options.name}-${randomUUID().slice(0, 8)}`;
  const eventsTopic = `${run}-events`;
  const outcomesTopic = `${run}-outcomes`;
  const groupId = `${run}-service`;
  const replicationFactor = options.replicationFactor ?? 1;
  const kafka = createKafkaClient({
    clientId: `fault-${options.name}`,
    brokers: options.brokers.split(','),
    logger: createLogger('silent'),
  });
  const topics: TopicSpec[] = [
    {
      topic: eventsTopic,
      partitions: options.partitions,
      replicationFactor,
      config: { ...options.topicConfig, ...options.eventsTopicConfig },
    },
    {
      topic: outcomesTopic,
      partitions: options.partitions,
      replicationFactor,
      config: { ...options.topicConfig, ...options.outcomesTopicConfig },
    },
  ];
  // On a multi-broker cluster the broker asked for the new topics' leaders may
  // not know them yet (UNKNOWN_TOPIC_OR_PARTITION): ask again; existing topics are not created twice.
  for (let attempt = 1; ; attempt += 1) {
    const failure = await kafka.ensureTopics(topics).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (failure === undefined) break;
    if (attempt === 5) throw failure;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const db = await createTestDatabase();
  const publisher = await kafka.connectPublisher();
  const env = {
    KAFKA_BROKERS: options.brokers,
    DATABASE_URL: db.url,
    EVENTS_TOPIC: eventsTopic,
    OUTCOMES_TOPIC: outcomesTopic,
    KAFKA_GROUP_ID: groupId,
    TOPIC_PARTITIONS: String(options.partitions),
    LOG_LEVEL: 'warn',
    // A killed member's partitions move after 6 s (the broker's minimum), not 30.
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    RETRY_INITIAL_MS: '100',
    RETRY_MAX_MS: '2000',
    // `OUTCOME_DELIVERY=at-least-once npx vitest run test/fault` runs the suite in the older mode.
    OUTCOME_DELIVERY: deliveryFromEnv(process.env),
  };
  const scenario: Scenario = {
    name: options.name,
    brokers: options.brokers,
    kafka,
    db,
    env,
    eventsTopic,
    outcomesTopic,
    groupId,
    async createContracts(contracts) {
      const numbers = [...contracts.keys()];
      const components = numbers.map((n) => `{${contracts.get(n)!.join(',')}}`);
      await withClient(db.url, (client) =>
        client.query(
          'INSERT INTO contracts (contract_number, components) SELECT n, c::component_type[] FROM unnest($1::text[], $2::text[]) AS t(n, c)',
          [numbers, components],
        ),
      );
    },
    async produce(messages, perSecond) {
      const chunk = perSecond ? Math.max(1, Math.round(perSecond / 10)) : 500;
      const started = Date.now();
      for (let start = 0; start < messages.length; start += chunk) {
        await publisher.send(eventsTopic, messages.slice(start, start + chunk));
        if (perSecond)
          await new Promise((resolve) =>
            setTimeout(resolve, Math.max(0, started + ((start + chunk) / perSecond) * 1000 - Date.now())),
          );
      }
    },
    outcomes: (expected, timeoutMs = 120_000) => readOutcomes(options.brokers, outcomesTopic, expected, timeoutMs),
    produced: (expected) => readTopic(options.brokers, eventsTopic, expected),
    async reconcile(contracts, expectedMessages, reconcileOptions) {
      const produced = await scenario.produced(expectedMessages);
      const outcomes = await scenario.outcomes(expectedMessages);
      const delivery = reconcileOptions?.delivery ?? deliveryFromEnv(scenario.env);
      return reconcile({
        scenario: options.name,
        topic: eventsTopic,
        produced,
        outcomes,
        databaseUrl: db.url,
        contracts,
        delivery,
        audit: scenario.env.ENABLE_EVENT_AUDIT !== 'false',
        eventOrder: scenario.env.EVENT_ORDER === 'created_at' ? 'created_at' : 'arrival',
      });
    },
    async dispose() {
      await publisher.disconnect().catch(() => undefined);
      await db.drop().catch(() => undefined);
    },
  };
  return scenario;
}

/** How many messages the service's group has committed so far (a cheap progress probe). */
export async function groupPosition(scenario: Scenario): Promise<number> {
  const committed = await scenario.kafka.committedOffsets(scenario.groupId, scenario.eventsTopic);
  return [...committed.values()].reduce((sum, offset) => sum + (offset > 0n ? Number(offset) : 0), 0);
}

/** Polls until the group has committed more than `than` messages. */
export async function waitForProgress(scenario: Scenario, than = 0, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await groupPosition(scenario)) <= than) {
    if (Date.now() > deadline)
      throw new Error(`${scenario.name}: no progress past ${than} messages in ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the service's group has committed every message of the events topic. */
export async function waitUntilConsumed(scenario: Scenario, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Right after a broker restart the group coordinator may still be loading: ask again.
    const offsets = await Promise.all([
      scenario.kafka.endOffsets(scenario.eventsTopic),
      scenario.kafka.committedOffsets(scenario.groupId, scenario.eventsTopic),
    ]).catch(() => undefined);
    if (!offsets) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    const [ends, committed] = offsets;
    let lag = 0n;
    for (const [partition, end] of ends) {
      const position = committed.get(partition) ?? -1n;
      lag += end - (position < 0n ? 0n : position);
    }
    if (lag <= 0n) return;
    if (Date.now() > deadline)
      throw new Error(`${scenario.name}: ${lag} messages still unconsumed after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
