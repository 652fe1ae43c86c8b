import type { Config } from '../config.js';
import { KafkaError } from '../errors.js';
import { retryUntilDone, StopRequested } from '../kafka/backoff.js';
import { refusedLoginMessage } from '../kafka/kafka-security.js';
import type { Logger } from '../observability/logger.js';
import { createRetryLog } from '../observability/retry-log.js';

export interface StartUpRetries {
  /** Retries a start-up step until it succeeds or abandon() is called; what an abandoned step still makes goes to `dispose`. */
  keepTrying<T>(what: string, work: () => Promise<T>, dispose?: (made: T) => Promise<void>): Promise<T>;
  /** Makes the step in hand, and any later one, give up at once with StopRequested. */
  abandon(): void;
}

/** How start-up waits out a database or Kafka that is not there yet, and gives up when the service is stopped. */
export function createStartUpRetries(config: Config, logger: Logger): StartUpRetries {
  let stopping = false;
  // stop() makes start-up give up at once: a Kafka call in flight can take a minute of kafkajs's own retries.
  let abandonStartUp: (reason: StopRequested) => void = () => undefined;
  const startUpAbandoned = new Promise<never>((_resolve, reject) => (abandonStartUp = reject));
  void startUpAbandoned.catch(() => undefined);
  // A wrong password fails every attempt alike: one clear line, not one per retry.
  const logRetry = createRetryLog(logger, {
    repeatAfterMs: 5 * 60_000,
    explain: (error) =>
      error instanceof KafkaError && error.loginRefused
        ? { level: 'error', message: refusedLoginMessage(config) }
        : undefined,
  });

  return {
    async keepTrying<T>(what: string, work: () => Promise<T>, dispose?: (made: T) => Promise<void>): Promise<T> {
      const attempts = retryUntilDone(work, {
        initialMs: config.RETRY_INITIAL_MS,
        maxMs: config.RETRY_MAX_MS,
        shouldContinue: () => !stopping,
        keepAlive: async () => undefined,
        onFailure: (error, attempt, delayMs) => logRetry(what, error, { attempt, delayMs }),
        // Start-up steps throw their drivers' errors unclassified (pg's, for migrations): waited out like outages.
        unexpectedAttempts: Number.POSITIVE_INFINITY,
      });
      try {
        return await Promise.race([attempts, startUpAbandoned]);
      } catch (error) {
        if (dispose && error instanceof StopRequested) void attempts.then(dispose, () => undefined);
        throw error;
      }
    },
    abandon() {
      stopping = true;
      abandonStartUp(new StopRequested('Stopped during start-up'));
    },
  };
}
