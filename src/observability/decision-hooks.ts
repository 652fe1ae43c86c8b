import { recordDecisions, type DecidedOutcome, type DecisionLogger } from './decision-log.js';
import type { Metrics } from './metrics.js';

/**
 * Where observability attaches to the steps of deciding events, so that the
 * code doing the work makes no timer, span or log calls of its own. POST
 * /events decides through these; the partition worker through WorkerHooks,
 * which add the steps a consumed chunk goes through.
 */
export interface DecisionHooks {
  /** Runs the database transaction that decides: timed as processing, traced as a `decide` span. */
  deciding<T>(work: () => Promise<T>): Promise<T>;
  /** The decisions are answered (published, or committed with the outbox): each is logged and counted once. */
  answered(outcomes: readonly DecidedOutcome[]): void;
}

export interface DecisionHookOptions {
  logger: DecisionLogger;
  metrics: Metrics;
  source: 'kafka' | 'http';
  /** Runs the deciding in its span (or as it is, with tracing off). */
  traceDeciding<T>(work: () => Promise<T>): Promise<T>;
}

/** The hooks with metrics, logs and spans: the one implementation both transports use. */
export function createDecisionHooks({ logger, metrics, source, traceDeciding }: DecisionHookOptions): DecisionHooks {
  return {
    async deciding(work) {
      const timer = metrics.processingSeconds.startTimer({ source });
      const decided = await traceDeciding(work);
      timer();
      return decided;
    },
    answered: (outcomes) => recordDecisions(logger, metrics, outcomes),
  };
}
