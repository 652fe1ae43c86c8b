import { randomUUID } from 'node:crypto';
import { ConfigError, loadConfig } from '../src/config.js';
import { createKafkaClient } from '../src/kafka/kafkajs/client.js';
import { kafkaSecurity } from '../src/kafka/kafka-security.js';
import { createLogger } from '../src/observability/logger.js';

// `npm run outcomes`: prints the outcome topic from the beginning, one JSON
// outcome per line, and exits after a few quiet seconds (`-- --follow` keeps
// reading until Ctrl-C). It reads in a throwaway group, so it never moves the
// offsets of a real downstream consumer.

const follow = process.argv.includes('--follow');
const QUIET_EXIT_MS = 5_000;

try {
  const config = loadConfig();
  const kafka = createKafkaClient({
    clientId: 'contract-events-outcomes',
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    logger: createLogger('warn'),
  });
  const subscriber = kafka.createSubscriber({
    groupId: `outcomes-cli-${randomUUID()}`,
    topic: config.OUTCOMES_TOPIC,
    concurrency: 1,
  });
  let quietTimer: NodeJS.Timeout | undefined;
  const stop = async () => {
    await subscriber.stop();
    process.exit(0);
  };
  const armQuietTimer = () => {
    if (follow) return;
    clearTimeout(quietTimer);
    quietTimer = setTimeout(() => void stop(), QUIET_EXIT_MS);
  };
  process.on('SIGINT', () => void stop());
  armQuietTimer();
  await subscriber.start(async (batch, control) => {
    for (const message of batch.messages) process.stdout.write(`${message.value?.toString() ?? 'null'}\n`);
    await control.commitThrough(batch.messages.at(-1)!.offset);
    armQuietTimer();
  });
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `outcomes failed: ${(error as Error).message}`);
  process.exit(1);
}
