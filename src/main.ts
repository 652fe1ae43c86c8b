import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './observability/logger.js';
import { startService } from './service.js';

// Process entry point: configuration, start-up, and a graceful stop on
// SIGTERM/SIGINT (finish and commit the batch in hand, disconnect, exit 0).

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const logger = createLogger(config.LOG_LEVEL);
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

try {
  const service = await startService(config, logger);
  logger.info(
    { address: service.http.addresses()[0], management: service.management?.addresses()[0] },
    'HTTP listening; starting up',
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing the batch in hand');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'graceful stop timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    service.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  void service.started.then(
    () => logger.info('contract events service ready'),
    (error: unknown) => {
      if (stopping) return; // stop() ended start-up on purpose
      logger.fatal({ err: error }, 'start-up failed');
      process.exit(1);
    },
  );
} catch (error) {
  logger.fatal({ err: error }, 'start-up failed');
  process.exit(1);
}
