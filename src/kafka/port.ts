import type { Logger } from '../observability/logger.js';

// The service's side of Kafka: the few operations it and its tests use. The
// kafkajs implementation is in src/kafka/kafkajs/ (createKafkaClient), so a
// change of client stays there.

export interface InboundMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  /** When it was produced (or appended, on a topic with LogAppendTime): epoch milliseconds as text. */
  timestamp?: string;
  /** As the client delivers them; `headerText` reads one as text. */
  headers?: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;
}

export interface InboundBatch {
  topic: string;
  partition: number;
  /** Offset of the next message the broker will write (for lag). */
  highWatermark: string;
  messages: InboundMessage[];
}

export interface BatchControl {
  isRunning(): boolean;
  /** True once a seek or rebalance made the rest of this batch someone else's business. */
  isStale(): boolean;
  heartbeat(): Promise<void>;
  /** Marks every message up to `offset` done and commits that to the group now. */
  commitThrough(offset: string): Promise<void>;
  /** Marks every message up to `offset` done without committing (a transaction committed it). */
  resolveThrough(offset: string): void;
}

export interface OutboundMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
  /** An explicit partition; by default the key's murmur2 hash picks it, as the Java client's does. */
  partition?: number;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  /** Topic-level settings, e.g. `max.message.bytes`. */
  config?: Record<string, string>;
}

export interface Publisher {
  send(topic: string, messages: readonly OutboundMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** Consumed input to commit inside a transaction: the group's next offset for one partition. */
export interface ConsumedOffset {
  groupId: string;
  topic: string;
  partition: number;
  /** The offset of the next message to read (last processed + 1). */
  nextOffset: string;
  /** Kept by the broker with the offset (the outbox relay names the row it published up to). */
  metadata?: string;
}

/** A group's committed offset on one partition, with the metadata committed with it. */
export interface CommittedOffset {
  /** The next offset to read; -1 where none. */
  nextOffset: bigint;
  metadata: string | null;
}

export interface TransactionalPublisher {
  /**
   * One Kafka transaction: every request's messages and the consumed offset,
   * all visible to read_committed readers or none. A failed transaction is
   * aborted; the publisher should then be replaced.
   */
  sendInTransaction(
    topic: string,
    requests: readonly (readonly OutboundMessage[])[],
    consumed: ConsumedOffset,
  ): Promise<void>;
  disconnect(): Promise<void>;
}

export interface PublisherOptions {
  compression?: 'none' | 'gzip';
}

export interface SubscriberEvents {
  /** Joined (or rejoined) the group; `partitions` are the ones assigned to this member. */
  onGroupJoin?(partitions: number[]): void;
  onCrash?(error: Error, willRestart: boolean): void;
  onStop?(): void;
}

export interface SubscriberOptions extends SubscriberEvents {
  groupId: string;
  topic: string;
  concurrency: number;
  /** How long the group waits for a silent member (e.g. one killed) before it moves its partitions. */
  sessionTimeoutMs?: number;
  /** False when offsets are committed by transactions instead (default true). */
  autoCommit?: boolean;
}

export interface Subscriber {
  start(onBatch: (batch: InboundBatch, control: BatchControl) => Promise<void>): Promise<void>;
  /** Stops fetching, waits for the batch in hand, and leaves the group. */
  stop(): Promise<void>;
}

export interface KafkaClient {
  listTopics(): Promise<string[]>;
  /** The group's committed offset (next offset to read) per partition; -1 where none. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>>;
  /** The group's committed offset on one partition, with its metadata. */
  committedOffset(groupId: string, topic: string, partition: number): Promise<CommittedOffset>;
  /** The high watermark (offset of the next message written) per partition. */
  endOffsets(topic: string): Promise<Map<number, bigint>>;
  /** Creates the missing topics; returns the names it created. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<string[]>;
  /** The topic's `max.message.bytes`: the largest record batch the broker accepts for it. */
  topicMaxMessageBytes(topic: string): Promise<number>;
  connectPublisher(options?: PublisherOptions): Promise<Publisher>;
  /** Connects a transactional producer; initialising it fences any older producer with the same id. */
  connectTransactionalPublisher(transactionalId: string, options?: PublisherOptions): Promise<TransactionalPublisher>;
  createSubscriber(options: SubscriberOptions): Subscriber;
  /** A readiness probe of the cluster over one long-lived connection (made on the first ping). */
  createProbe(): KafkaProbe;
}

export interface KafkaProbe {
  /** One metadata request; after a failure the next ping connects afresh. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** TLS and SASL towards the brokers; PEM texts, not paths. */
export interface KafkaSecurity {
  ssl?: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

export interface KafkaClientOptions {
  clientId: string;
  brokers: string[];
  /** Plaintext and unauthenticated when absent. */
  security?: KafkaSecurity;
  logger: Logger;
  /** For probes: one short attempt instead of retrying; their caller reports failures, so kafkajs's own lines are logged at debug. */
  failFast?: boolean;
}
