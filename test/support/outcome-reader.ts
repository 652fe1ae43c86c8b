import { outcomeMessageSchema, type OutcomeMessage } from '../../src/schemas/outcome.js';
import { readTopic, type ReadTopicOptions } from './topic-reader.js';

export interface ReadOutcome {
  key: string | null;
  headers: Record<string, string>;
  message: OutcomeMessage;
  /** The value as published (before the schema parse drops fields it does not know, e.g. `source.transport`). */
  raw: unknown;
  /** Where the outcome itself sits on the outcome topic. */
  partition: number;
  offset: string;
}

/**
 * Reads the outcome topic from the beginning as a `read_committed` consumer,
 * checking every message against the outcome schema. Stops once `expected`
 * outcomes arrived and every partition is read to its end (see readTopic).
 */
export async function readOutcomes(
  brokers: string,
  topic: string,
  expected: number,
  options: number | ReadTopicOptions = 60_000,
): Promise<ReadOutcome[]> {
  const records = await readTopic(brokers, topic, expected, options);
  return records.map(({ key, headers, value, partition, offset }) => {
    const raw: unknown = JSON.parse(value?.toString('utf8') ?? 'null');
    const parsed = outcomeMessageSchema.safeParse(raw);
    if (!parsed.success)
      throw new Error(
        `Outcome ${topic}/${partition}/${offset} does not match the outcome schema: ${parsed.error.message}\n${value?.toString('utf8').slice(0, 2000)}`,
      );
    return { key, headers, message: parsed.data, raw, partition, offset };
  });
}
