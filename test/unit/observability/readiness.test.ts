import { describe, expect, it } from 'vitest';
import { createReadinessCheck } from '../../../src/observability/readiness.js';

const up = async () => undefined;
const down = (message: string) => async () => Promise.reject(new Error(message));
const running = () => ({ running: true, healthy: true, lastError: null });

describe('readiness', () => {
  it('is ready when the database and Kafka answer and the consumer runs', async () => {
    expect(await createReadinessCheck({ pingDatabase: up, pingKafka: up, consumerStatus: running })()).toEqual({
      ready: true,
      checks: { database: 'ok', kafka: 'ok', consumer: 'running' },
    });
  });

  it.each([
    ['the database', { pingDatabase: down('connection refused'), pingKafka: up, consumerStatus: running }, { database: 'unreachable: connection refused' }],
    ['Kafka', { pingDatabase: up, pingKafka: down('Connection timeout'), consumerStatus: running }, { kafka: 'unreachable: Connection timeout' }],
    ['the consumer', { pingDatabase: up, pingKafka: up, consumerStatus: () => ({ running: false, healthy: false, lastError: null }) }, { consumer: 'not running' }],
    ['a retrying consumer', { pingDatabase: up, pingKafka: up, consumerStatus: () => ({ running: true, healthy: false, lastError: 'db down' }) }, { consumer: 'retrying: db down' }],
  ])('is not ready when %s is not', async (_name, probes, checks) => {
    const report = await createReadinessCheck(probes)();
    expect(report.ready).toBe(false);
    expect(report.checks).toMatchObject(checks);
  });
});
