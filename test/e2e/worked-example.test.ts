import { randomUUID } from 'node:crypto';
import { CloudEvent, Kafka as CloudEventsKafka, type KafkaMessage } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { readOutcomes } from '../support/outcome-reader.js';
import { runScript, startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import {
  ALL_COMPONENTS,
  WORKED_EXAMPLE_CODES,
  WORKED_EXAMPLE_LINES,
  WORKED_EXAMPLE_TIMELINE,
} from '../support/worked-example.js';

// The README's path, end to end: the service as a process, the worked example
// sent with `npm run produce`, every outcome read back from Kafka.

const run = randomUUID().slice(0, 8);
const env = {
  KAFKA_BROKERS: inject('kafkaBrokers'),
  EVENTS_TOPIC: `e2e-${run}-events`,
  OUTCOMES_TOPIC: `e2e-${run}-outcomes`,
  KAFKA_GROUP_ID: `e2e-${run}`,
  TOPIC_PARTITIONS: '3',
};
let db: TestDatabase;
let service: ServiceProcess;

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  service = await startServiceProcess({ ...env, DATABASE_URL: db.url });
});
afterAll(async () => {
  await service?.stop('SIGKILL');
  await db?.drop();
});

describe('the worked example through Kafka', () => {
  it('publishes one outcome per event with the spec codes, and serves the timeline', async () => {
    const created = await fetch(`${service.baseUrl}/contracts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contract_number: '1234', components: ALL_COMPONENTS }),
    });
    expect(created.status).toBe(201);

    await runScript('scripts/produce.ts', ['examples/events.jsonl'], { ...env, DATABASE_URL: db.url });
    const outcomes = await readOutcomes(env.KAFKA_BROKERS, env.OUTCOMES_TOPIC, WORKED_EXAMPLE_LINES.length);

    expect(outcomes).toHaveLength(WORKED_EXAMPLE_LINES.length);
    // Outcomes of different contracts may interleave; created_at names each line.
    const byCreatedAt = new Map(outcomes.map((o) => [o.message.event?.created_at, o]));
    WORKED_EXAMPLE_LINES.forEach((line, index) => {
      const sent = JSON.parse(line) as { contract_number: string; created_at: string };
      const outcome = byCreatedAt.get(sent.created_at);
      expect(outcome?.message.code, line).toBe(WORKED_EXAMPLE_CODES[index]);
      expect(outcome?.key).toBe(sent.contract_number);
      expect(outcome?.headers['event-id']).toBe(outcome?.message.event_id);
      expect(outcome?.message).toMatchObject({ duplicate: false, error: null, source: { topic: env.EVENTS_TOPIC } });
    });

    const timeline = await fetch(`${service.baseUrl}/contracts/1234/timeline`);
    expect(await timeline.json()).toEqual(WORKED_EXAMPLE_TIMELINE);
  });

  it('answers bad input with error outcomes and keeps consuming', async () => {
    const bad = [
      '{"type":',
      '[]',
      JSON.stringify({
        type: 'supply_energy_start',
        contract_number: '1234',
        date: '2024-02-30',
        created_at: '2024-01-01T00:00:00Z',
      }),
    ];
    const { writeFile } = await import('node:fs/promises');
    const file = `/tmp/ces-bad-${run}.jsonl`;
    await writeFile(file, `${bad.join('\n')}\n`);
    await runScript('scripts/produce.ts', [file], { ...env, DATABASE_URL: db.url });
    const outcomes = await readOutcomes(
      env.KAFKA_BROKERS,
      env.OUTCOMES_TOPIC,
      WORKED_EXAMPLE_LINES.length + bad.length,
    );
    const errors = outcomes.filter((o) => o.message.status === 'error').map((o) => o.message);
    expect(errors.map((e) => e.code).sort()).toEqual(['INVALID_JSON', 'VALIDATION_ERROR', 'VALIDATION_ERROR']);
    for (const error of errors) {
      expect(error.error).toMatchObject({ code: error.code });
      expect(error.event).toBeNull();
    }
    expect(errors.find((e) => e.error?.message.includes('date'))).toBeDefined();
  });

  it('publishes every outcome as a CloudEvent that the CloudEvents SDK reads back as the same data', async () => {
    const outcomes = await readOutcomes(env.KAFKA_BROKERS, env.OUTCOMES_TOPIC, WORKED_EXAMPLE_LINES.length + 3);
    expect(new Set(outcomes.map((o) => o.message.status))).toEqual(new Set(['accepted', 'rejected', 'error']));
    for (const outcome of outcomes) {
      // The message as Kafka holds it: the value as published, the headers as strings.
      const value = JSON.stringify(outcome.raw);
      const message: KafkaMessage<string> = { headers: outcome.headers, key: outcome.key ?? '', value, body: value };
      const where = `${outcome.partition}/${outcome.offset}`;
      expect(CloudEventsKafka.isEvent(message), where).toBe(true);
      const event = CloudEventsKafka.toEvent(message);
      if (!(event instanceof CloudEvent)) throw new Error(`${where} did not read as one CloudEvent`);
      expect(() => event.validate(), where).not.toThrow();
      const source = outcome.message.source as { topic: string; partition: number; offset: string };
      expect(event, where).toMatchObject({
        specversion: '1.0',
        id: `${source.topic}/${source.partition}/${source.offset}`,
        source: '/contract-events-service',
        type: `io.contract-events.outcome.${outcome.message.status}`,
        datacontenttype: 'application/json',
        // The SDK keeps milliseconds only; the header itself has the microseconds of processed_at.
        time: new Date(outcome.message.processed_at).toISOString(),
      });
      expect(outcome.headers.ce_time).toBe(outcome.message.processed_at);
      // `npm run produce` sends no trace context: each outcome starts a trace of its own.
      expect(outcome.headers.traceparent, where).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      expect(event.data, where).toEqual(outcome.raw);
    }
  });

  it('stops gracefully on SIGTERM with exit code 0', async () => {
    const started = Date.now();
    expect(await service.stop('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
