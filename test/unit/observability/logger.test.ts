import { describe, expect, it } from 'vitest';
import { createLogger, redactCredentials } from '../../../src/observability/logger.js';

const capture = (level: string) => {
  let text = '';
  return { logger: createLogger(level, { write: (chunk: string) => void (text += chunk) }), text: () => text };
};

describe('the logger', () => {
  it('takes passwords out of connection strings inside errors and named fields', () => {
    const { logger, text } = capture('info');
    logger.error({ err: new Error('connect ECONNREFUSED postgresql://app:hunter2@db:5432/contract_events') }, 'failed');
    logger.info({ databaseUrl: 'postgresql://app:hunter2@db/x', config: { DATABASE_URL: 'postgresql://app:hunter2@db/x' } }, 'settings');
    expect(text()).not.toContain('hunter2');
    expect(text()).toContain('postgresql://app:[redacted]@db:5432/contract_events');
  });

  it('honours the level', () => {
    const { logger, text } = capture('warn');
    logger.info('hidden');
    logger.warn('shown');
    expect(text()).not.toContain('hidden');
    expect(JSON.parse(text())).toMatchObject({ level: 40, msg: 'shown', service: 'contract-events-service' });
  });

  it('leaves text without credentials alone', () => {
    expect(redactCredentials('kafka://broker:9092 and https://example.org/a@b')).toBe('kafka://broker:9092 and https://example.org/a@b');
  });
});
