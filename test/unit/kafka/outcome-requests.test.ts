import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../../src/kafka/port.js';
import { toRequests } from '../../../src/kafka/outcome-requests.js';
import type { TracedOutcome } from '../../../src/kafka/outcome-message.js';

// Every request's records are measured with kafkajs's own encoders, the bytes
// a producer sends (record format v2, uncompressed), not with
// the service's own count. Two limits: the broker's, the whole record batch
// within the topic's max.message.bytes; and the one outcome-requests.ts
// promises, the records within max.message.bytes minus its batch overhead of
// 512 bytes (the v2 batch header's 61 bytes and a margin of 451).

const require = createRequire(import.meta.url);
type KafkajsEncoder = { buffer: Buffer };
type RecordEncoder = ((record: {
  offsetDelta: number;
  timestampDelta: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}) => KafkajsEncoder) & {
  kafkajsRecord?: RecordEncoder;
};
const recordModule = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as RecordEncoder;
// kafkajs's own, even where the service's faster encoder has replaced it in the require cache.
const kafkajsRecord = recordModule.kafkajsRecord ?? recordModule;
const { RecordBatch: kafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch(batch: {
    records: KafkajsEncoder[];
    transactional: boolean;
    lastOffsetDelta: number;
  }): Promise<KafkajsEncoder>;
};

const BATCH_OVERHEAD = 61 + 451;

/** A request's records as kafkajs encodes them when all go to one partition (one batch): offsets counted from 0, one timestamp. */
const encodedRecords = (request: readonly OutboundMessage[]) =>
  request.map(({ key, value, headers }, i) =>
    kafkajsRecord({ offsetDelta: i, timestampDelta: 0, key, value, headers }),
  );
const recordBytes = (request: readonly OutboundMessage[]) =>
  encodedRecords(request).reduce((sum, record) => sum + record.buffer.length, 0);
const batchBytes = async (request: readonly OutboundMessage[]) =>
  (
    await kafkajsRecordBatch({
      records: encodedRecords(request),
      transactional: true,
      lastOffsetDelta: request.length - 1,
    })
  ).buffer.length;

/** An error outcome quoting back `raw`, answering the message at `offset`. */
const errorOutcome = (offset: number, raw: string): TracedOutcome => ({
  key: `bad-${offset}`,
  message: {
    event_id: `bad-${offset}`,
    status: 'error',
    code: 'VALIDATION_ERROR',
    message: 'The event is not valid: date: must be a real calendar date in the form YYYY-MM-DD.',
    duplicate: false,
    event: null,
    error: { code: 'VALIDATION_ERROR', message: 'The event is not valid.', details: { raw, raw_truncated: false } },
    source: { transport: 'kafka', topic: 'contract-events', partition: 0, offset: String(offset) },
    processed_at: '2026-12-02T10:00:00.123456Z',
    revision: 0,
    revises: null,
    replay: false,
  },
});

async function expectWithinLimits(requests: readonly OutboundMessage[][], maxBytes: number): Promise<void> {
  for (const request of requests) {
    expect(recordBytes(request)).toBeLessThanOrEqual(maxBytes - BATCH_OVERHEAD);
    expect(await batchBytes(request)).toBeLessThanOrEqual(maxBytes);
  }
}

describe('outcome requests', () => {
  it('keep the records of every request within the smallest topic limit minus the batch overhead, three outcomes of ~2.3 KB a request', async () => {
    const maxBytes = 8 * 1024;
    // 'é' is two bytes: 750 of them make each record about 2,300 bytes.
    const outcomes = Array.from({ length: 10 }, (_, i) => errorOutcome(i, 'é'.repeat(750)));
    const { requests, compacted } = toRequests(outcomes, maxBytes);
    for (const message of requests.flat()) {
      expect(recordBytes([message])).toBeGreaterThanOrEqual(2_000);
      expect(recordBytes([message])).toBeLessThanOrEqual(2_400);
    }
    await expectWithinLimits(requests, maxBytes);
    // The overhead's first part is exactly the v2 batch header kafkajs writes around the records.
    expect((await batchBytes(requests[0]!)) - recordBytes(requests[0]!)).toBe(61);
    // 7,680 bytes a request: three records fit even counted with every varint at its
    // widest (at most 36 bytes a record and 10 a header more: 3 × (2,400 + 116) ≤ 7,680);
    // four never do (4 × 2,000 > 7,680).
    expect(requests.map((request) => request.length)).toEqual([3, 3, 3, 1]);
    expect(compacted).toEqual([]);
    expect(requests.flat().map((message) => message.headers['event-id'])).toEqual(
      outcomes.map((o) => o.message.event_id),
    );
  });

  it('keep every request within its limits for any outcome sizes and limits, in order, losing none', async () => {
    // Quoted values of up to 12 KB in characters of 1 to 4 bytes: some outcomes too large to go alone, most requests full to the brim.
    const raw = fc
      .tuple(fc.integer({ min: 0, max: 12_000 }), fc.constantFrom('a', 'é', '€', '😀'))
      .map(([bytes, char]) => char.repeat(bytes / Buffer.byteLength(char)));
    await fc.assert(
      fc.asyncProperty(
        fc.array(raw, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 8 * 1024, max: 24 * 1024 }),
        async (raws, maxBytes) => {
          const outcomes = raws.map((text, i) => errorOutcome(i, text));
          const { requests } = toRequests(outcomes, maxBytes);
          expect(requests.flat().map((message) => message.headers['event-id'])).toEqual(
            outcomes.map((o) => o.message.event_id),
          );
          expect(requests.every((request) => request.length > 0)).toBe(true);
          await expectWithinLimits(requests, maxBytes);
        },
      ),
      { numRuns: 300 },
    );
  });
});
