import type { BenchKafka } from './baselines/kafkajs.js';
import type { Dataset } from './dataset.js';
import type { BenchInfra } from './infra.js';
import type { BenchOptions } from './options.js';

/** What every phase of one run shares: infrastructure, the workload, and names to clean up. */
export interface BenchContext {
  options: BenchOptions;
  infra: BenchInfra;
  kafka: BenchKafka;
  dataset: Dataset;
  /** The pre-loaded events topic every throughput phase reads. */
  inputTopic: string;
  /** The migrated and seeded database each implementation gets a copy of. */
  templateDatabase: string;
  /** Unique per run, so groups, topics and databases never collide with an earlier run's. */
  runId: string;
  createdTopics: string[];
  createdDatabases: string[];
}

export const log = (message: string): void =>
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

export function nameFor(context: BenchContext, what: string): string {
  return `bench_${context.runId}_${what}`;
}
