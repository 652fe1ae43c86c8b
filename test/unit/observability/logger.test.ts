import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferedDestination, createLogger, redactCredentials } from '../../../src/observability/logger.js';

const capture = (level: string) => {
  let text = '';
  return { logger: createLogger(level, { write: (chunk: string) => void (text += chunk) }), text: () => text };
};

describe('the logger', () => {
  it('takes passwords out of connection strings inside errors and named fields', () => {
    const { logger, text } = capture('info');
    logger.error({ err: new Error('connect ECONNREFUSED postgresql://app:hunter2@db:5432/contract_events') }, 'failed');
    logger.info(
      { databaseUrl: 'postgresql://app:hunter2@db/x', config: { DATABASE_URL: 'postgresql://app:hunter2@db/x' } },
      'settings',
    );
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
    expect(redactCredentials('kafka://broker:9092 and https://example.org/a@b')).toBe(
      'kafka://broker:9092 and https://example.org/a@b',
    );
  });

  it('writes a lone line out within a second, though its buffer is far from full', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logger-'));
    const file = join(dir, 'out.log');
    const destination = bufferedDestination(openSync(file, 'w'));
    try {
      createLogger('info', destination).error('Kafka refused the credentials');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(readFileSync(file, 'utf8')).toContain('Kafka refused the credentials');
    } finally {
      await new Promise((resolve) => {
        destination.once('close', resolve);
        destination.end();
      });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
