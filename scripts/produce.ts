import { readFile } from 'node:fs/promises';
import { ConfigError, loadConfig } from '../src/config.js';
import { createKafkaClient } from '../src/kafka/kafkajs/client.js';
import type { OutboundMessage } from '../src/kafka/port.js';
import { kafkaSecurity } from '../src/kafka/kafka-security.js';
import { createLogger } from '../src/observability/logger.js';

// `npm run produce -- <file.jsonl>`: sends one event per line to the events
// topic, keyed by contract_number. Lines are sent as they are, so a file of
// bad input produces bad messages too (they get `error` outcomes).

const file = process.argv[2];
if (!file) {
  console.error('usage: npm run produce -- <file.jsonl>');
  process.exit(2);
}

try {
  const config = loadConfig();
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '');
  const messages: OutboundMessage[] = lines.map((line) => ({ key: contractNumberOf(line), value: line, headers: {} }));
  const kafka = createKafkaClient({
    clientId: 'contract-events-produce',
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    logger: createLogger('warn'),
  });
  const publisher = await kafka.connectPublisher();
  await publisher.send(config.EVENTS_TOPIC, messages);
  await publisher.disconnect();
  console.log(`Sent ${messages.length} events to ${config.EVENTS_TOPIC} at ${config.KAFKA_BROKERS.join(',')}.`);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `produce failed: ${(error as Error).message}`);
  process.exit(1);
}

function contractNumberOf(line: string): string | null {
  try {
    const parsed: unknown = JSON.parse(line);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'contract_number' in parsed &&
      typeof parsed.contract_number === 'string'
    ) {
      return parsed.contract_number;
    }
  } catch {
    // Not JSON: sent without a key.
  }
  return null;
}
