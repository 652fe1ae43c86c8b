import type { LogEntry } from 'kafkajs';
import type { Logger } from '../../observability/logger.js';
import { logLevel as KafkaLogLevel } from './patched.js';

// kafkajs logs a refused SASL login three times per attempt; the service
// reports it once, where it handles the error.
const SASL_LINE = /\bsasl/i;
// kafkajs logs every error answer at error level, also CONCURRENT_TRANSACTIONS,
// which the coordinator gives while it still writes the previous transaction's
// markers and which kafkajs retries: routine for back-to-back transactions.
const ROUTINE_ANSWER = /another concurrent operation on the same transaction was ongoing/;

/** The level a kafkajs log line is written at: its own, except for lines the service handles or expects. */
export function kafkaLineLevel(
  level: LogEntry['level'],
  message: string,
  fields: Record<string, unknown>,
  quiet: boolean,
): 'debug' | 'info' | 'warn' | 'error' {
  if (quiet || SASL_LINE.test(message)) return 'debug';
  if (typeof fields.error === 'string' && ROUTINE_ANSWER.test(fields.error)) return 'debug';
  if (level === KafkaLogLevel.ERROR) return 'error';
  if (level === KafkaLogLevel.WARN) return 'warn';
  return level === KafkaLogLevel.INFO ? 'info' : 'debug';
}

export function logKafkaEntry(logger: Logger, { level, log }: LogEntry, quiet: boolean): void {
  const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
  logger[kafkaLineLevel(level, message, fields, quiet)]({ kafka: fields }, `kafka: ${message}`);
}
