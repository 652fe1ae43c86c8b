import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('defaults to what `npm run infra:up` starts', () => {
    const config = loadConfig({});
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.DATABASE_URL).toBe('postgresql://postgres:postgres@127.0.0.1:5433/contract_events');
    expect(config.EVENTS_TOPIC).toBe('contract-events');
    expect(config.OUTCOMES_TOPIC).toBe('contract-event-outcomes');
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.ENABLE_EVENT_AUDIT).toBe(true);
  });

  it('reads and converts the environment', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', HTTP_PORT: '9000', ENABLE_EVENT_AUDIT: 'false', EVENTS_TOPIC: 'in' });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.HTTP_PORT).toBe(9000);
    expect(config.ENABLE_EVENT_AUDIT).toBe(false);
    expect(config.EVENTS_TOPIC).toBe('in');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ HTTP_PORT: '' }).HTTP_PORT).toBe(8080);
  });

  it('reports one line per invalid variable and never echoes the database URL', () => {
    let caught: unknown;
    try {
      loadConfig({ HTTP_PORT: 'eighty', KAFKA_BROKERS: 'nohost', ENABLE_EVENT_AUDIT: 'maybe', DATABASE_URL: 'mysql://secret@x' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const { problems, message } = caught as ConfigError;
    expect(problems).toHaveLength(4);
    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'ENABLE_EVENT_AUDIT', 'HTTP_PORT', 'KAFKA_BROKERS']);
    expect(message).not.toContain('secret');
    expect(message.split('\n')).toHaveLength(5);
  });
});
