import type {
  BatchControl,
  ConsumedOffset,
  InboundBatch,
  KafkaClient,
  OutboundMessage,
  Publisher,
  Subscriber,
  SubscriberOptions,
  TransactionalPublisher,
} from '../../src/kafka/port.js';

// A stand-in for the Kafka client module, for fast tests of the consumer loop
// (the way kafkajs tests its own runner): batches are handed in by the test,
// every produce request, transaction and commit is recorded, and failures are
// scripted per call.

export interface StubTransaction {
  transactionalId: string;
  requests: OutboundMessage[][];
  consumed: ConsumedOffset;
}

export interface StubKafka {
  client: KafkaClient;
  /** Requests of the non-transactional publisher, in order. */
  sent: OutboundMessage[][];
  /** Committed transactions, in order. */
  transactions: StubTransaction[];
  /** Offsets committed by the consumer itself (at-least-once) or resolved after a transaction. */
  commits: string[];
  resolved: string[];
  /** Transactional producers connected so far, by id (each connect fences the previous one). */
  connects: string[];
  /** The group's committed offsets as the broker would report them. */
  groupOffsets: Map<number, bigint>;
  /** The metadata committed with them by transactions. */
  groupMetadata: Map<number, string | null>;
  /** Throws this from the next publishing calls, one per call, until the list is empty (a function: what it returns, after calling it). */
  failNext: unknown[];
  /** Commits the next transaction but throws as if its answer was lost (a coordinator moved). */
  loseNextAnswer: boolean;
  /** Throws from the consumer's next offset commits, one per call. */
  failNextCommits: unknown[];
  /** Hands a batch to the consumer, as kafkajs's runner would; resolves when the handler is done. */
  deliver(batch: InboundBatch): Promise<void>;
  joinGroup(partitions: number[]): void;
  /** The client's consumer crashed (and restarts when `willRestart`). */
  crash(error: Error, willRestart: boolean): void;
  crashes: { error: Error; willRestart: boolean }[];
}

export function createStubKafka(options: { maxMessageBytes?: number } = {}): StubKafka {
  let subscription: SubscriberOptions | undefined;
  let handler: ((batch: InboundBatch, control: BatchControl) => Promise<void>) | undefined;
  const stub: StubKafka = {
    sent: [],
    transactions: [],
    commits: [],
    resolved: [],
    connects: [],
    groupOffsets: new Map(),
    groupMetadata: new Map(),
    failNext: [],
    loseNextAnswer: false,
    failNextCommits: [],
    crashes: [],
    client: undefined as unknown as KafkaClient,
    async deliver(batch) {
      if (!handler) throw new Error('the consumer has not started');
      const control: BatchControl = {
        isRunning: () => true,
        isStale: () => false,
        heartbeat: async () => undefined,
        async commitThrough(offset) {
          const failure = stub.failNextCommits.shift();
          if (failure !== undefined) throw failure;
          stub.commits.push(offset);
          stub.groupOffsets.set(batch.partition, BigInt(offset) + 1n);
        },
        resolveThrough: (offset) => void stub.resolved.push(offset),
      };
      try {
        await handler(batch, control);
      } catch (error) {
        stub.crashes.push({ error: error as Error, willRestart: false });
        subscription?.onCrash?.(error as Error, false);
        throw error;
      }
    },
    joinGroup: (partitions) => subscription?.onGroupJoin?.(partitions),
    crash: (error, willRestart) => subscription?.onCrash?.(error, willRestart),
  };
  const failIfScripted = () => {
    const failure = stub.failNext.shift();
    if (failure !== undefined) throw typeof failure === 'function' ? (failure as () => unknown)() : failure;
  };
  const publisher: Publisher = {
    async send(_topic, messages) {
      failIfScripted();
      stub.sent.push([...messages]);
    },
    disconnect: async () => undefined,
  };
  const transactional = (transactionalId: string): TransactionalPublisher => {
    const epoch = stub.connects.push(transactionalId);
    return {
      async sendInTransaction(_topic, requests, consumed) {
        if (stub.connects.lastIndexOf(transactionalId) + 1 !== epoch)
          throw Object.assign(new Error('fenced'), { type: 'INVALID_PRODUCER_EPOCH' });
        failIfScripted();
        stub.transactions.push({ transactionalId, requests: requests.map((r) => [...r]), consumed });
        stub.groupOffsets.set(consumed.partition, BigInt(consumed.nextOffset));
        stub.groupMetadata.set(consumed.partition, consumed.metadata ?? null);
        if (stub.loseNextAnswer) {
          stub.loseNextAnswer = false;
          throw Object.assign(new Error('Request timed out'), { name: 'KafkaJSRequestTimeoutError' });
        }
      },
      disconnect: async () => undefined,
    };
  };
  const subscriber: Subscriber = {
    async start(onBatch) {
      handler = onBatch;
    },
    stop: async () => undefined,
  };
  stub.client = {
    listTopics: async () => [],
    committedOffsets: async () => new Map(stub.groupOffsets),
    committedOffset: async (_groupId, _topic, partition) => ({
      nextOffset: stub.groupOffsets.get(partition) ?? -1n,
      metadata: stub.groupMetadata.get(partition) ?? null,
    }),
    endOffsets: async () => new Map(),
    ensureTopics: async () => [],
    topicMaxMessageBytes: async () => options.maxMessageBytes ?? 1_048_588,
    connectPublisher: async () => publisher,
    connectTransactionalPublisher: async (transactionalId) => transactional(transactionalId),
    createSubscriber(subscriptionOptions) {
      subscription = subscriptionOptions;
      return subscriber;
    },
    createProbe: () => ({ ping: async () => undefined, close: async () => undefined }),
  };
  return stub;
}
