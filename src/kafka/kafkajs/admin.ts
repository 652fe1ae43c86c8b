import type { Admin, Kafka } from 'kafkajs';
import { toKafkaError } from '../kafka-errors.js';
import type { KafkaClient, TopicSpec } from '../port.js';

/** One admin connection for one piece of work; kafkajs's errors come out as the service's. */
export async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await work(admin);
  } catch (error) {
    throw toKafkaError(error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export type AdminOperations = Pick<
  KafkaClient,
  'listTopics' | 'topicMaxMessageBytes' | 'committedOffsets' | 'committedOffset' | 'endOffsets' | 'ensureTopics'
>;

/** The port's topic and offset operations, each over an admin connection of its own. */
export function adminOperations(kafka: Kafka): AdminOperations {
  return {
    listTopics: () => withAdmin(kafka, (admin) => admin.listTopics()),
    topicMaxMessageBytes: (topic) => withAdmin(kafka, (admin) => topicMaxMessageBytes(admin, topic)),
    committedOffsets: (groupId, topic) =>
      withAdmin(kafka, async (admin) => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return new Map((offsets?.partitions ?? []).map(({ partition, offset }) => [partition, BigInt(offset)]));
      }),
    committedOffset: (groupId, topic, partition) =>
      withAdmin(kafka, async (admin) => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const committed = offsets?.partitions.find((p) => p.partition === partition);
        return { nextOffset: BigInt(committed?.offset ?? -1), metadata: committed?.metadata ?? null };
      }),
    endOffsets: (topic) =>
      withAdmin(
        kafka,
        async (admin) =>
          new Map((await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, BigInt(high)])),
      ),
    ensureTopics: (topics) => ensureTopics(kafka, topics),
  };
}

function ensureTopics(kafka: Kafka, topics: readonly TopicSpec[]): Promise<string[]> {
  return withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor,
          configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    return missing.map((spec) => spec.topic);
  });
}

const TOPIC_RESOURCE = 2; // kafkajs ConfigResourceTypes.TOPIC

async function topicMaxMessageBytes(admin: Admin, topic: string): Promise<number> {
  const described = await admin.describeConfigs({
    resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['max.message.bytes'] }],
    includeSynonyms: false,
  });
  const value = Number(
    described.resources[0]?.configEntries.find((entry) => entry.configName === 'max.message.bytes')?.configValue,
  );
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`Topic ${topic} reports no usable max.message.bytes.`);
  return value;
}
