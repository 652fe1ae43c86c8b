import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { AppendTimes } from '../../../src/kafka/append-times.js';
import { createWorkerHooks, secondsWaiting } from '../../../src/kafka/worker-hooks.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';

describe('secondsWaiting', () => {
  it("is the time from the chunk's first message's timestamp until now", () => {
    expect(secondsWaiting({ key: null, value: null, offset: '7', timestamp: '1000' }, 1_250)).toBe(0.25);
  });

  it('is 0 for a timestamp ahead of our clock, and null without a timestamp', () => {
    expect(secondsWaiting({ key: null, value: null, offset: '7', timestamp: '2000' }, 1_250)).toBe(0);
    expect(secondsWaiting({ key: null, value: null, offset: '7' }, 1_250)).toBeNull();
    expect(secondsWaiting(undefined, 1_250)).toBeNull();
  });
});

describe('the chunk stage histogram', () => {
  it('gets one sample per stage of a chunk: waiting, deciding, publishing', async () => {
    const metrics = createMetrics();
    const hooks = createWorkerHooks(
      {
        logger: createLogger('silent', { write: () => undefined }),
        metrics,
        tracer: trace.getTracer('test'),
        groupId: 'group',
        topic: 'events',
        outcomesTopic: 'outcomes',
        deliveryMode: 'transactional',
        appendTimes: new AppendTimes(),
      },
      0,
    );
    const message = { key: null, value: null, offset: '0', timestamp: String(Date.now() - 60_000) };
    await hooks.chunk([message], '1', async (chunk) => {
      await chunk.deciding(async () => []);
      await chunk.publishing(0, async () => []);
    });
    const counts = (await metrics.chunkStageSeconds.get()).values
      .filter((sample) => sample.metricName === 'contract_events_chunk_stage_seconds_count')
      .map((sample) => [sample.labels.stage, sample.value]);
    expect(Object.fromEntries(counts)).toEqual({ waiting: 1, deciding: 1, publishing: 1 });
    const waited = (await metrics.chunkStageSeconds.get()).values.find(
      (sample) => sample.metricName === 'contract_events_chunk_stage_seconds_sum' && sample.labels.stage === 'waiting',
    );
    expect(waited?.value).toBeGreaterThanOrEqual(60);
  });
});
