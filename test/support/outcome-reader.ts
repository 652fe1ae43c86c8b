import { randomUUID } from 'node:crypto';
import { createKafkaClient, type Subscriber } from '../../src/kafka/kafka-client.js';
import { createLogger } from '../../src/observability/logger.js';
import { outcomeMessageSchema, type OutcomeMessage } from '../../src/schemas/outcome.js';

export interface ReadOutcome {
  key: string | null;
  headers: Record<string, string>;
  message: OutcomeMessage;
}

/** Reads the outcome topic from the beginning in a group of its own, checking every message against the schema. */
export async function readOutcomes(brokers: string, topic: string, expected: number, timeoutMs = 60_000): Promise<ReadOutcome[]> {
  const kafka = createKafkaClient({ clientId: 'test-outcome-reader', brokers: brokers.split(','), logger: createLogger('silent') });
  const seen: ReadOutcome[] = [];
  const subscriber: Subscriber = kafka.createSubscriber({ groupId: `test-reader-${randomUUID()}`, topic, concurrency: 1 });
  let done: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => (done = resolve));
  await subscriber.start(async (batch, control) => {
    for (const message of batch.messages) {
      seen.push({
        key: message.key?.toString() ?? null,
        headers: message.headers,
        message: outcomeMessageSchema.parse(JSON.parse(message.value!.toString())),
      });
    }
    await control.commitThrough(batch.messages.at(-1)!.offset);
    if (seen.length >= expected) done();
  });
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs));
  await Promise.race([enough, timeout]);
  await subscriber.stop();
  return seen;
}
