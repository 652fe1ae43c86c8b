import { outcomeMessageSchema, type OutcomeMessage } from '../../src/schemas/outcome.js';
import { readTopic } from './topic-reader.js';

export interface ReadOutcome {
  key: string | null;
  headers: Record<string, string>;
  message: OutcomeMessage;
}

/** Reads the outcome topic from the beginning, checking every message against the outcome schema. */
export async function readOutcomes(brokers: string, topic: string, expected: number, timeoutMs = 60_000): Promise<ReadOutcome[]> {
  const records = await readTopic(brokers, topic, expected, timeoutMs);
  return records.map(({ key, headers, value }) => ({ key, headers, message: outcomeMessageSchema.parse(JSON.parse(value?.toString() ?? 'null')) }));
}
