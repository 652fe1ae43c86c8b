// kafkajs as the service loads it: patched first.
import '../../../../../src/kafka/kafkajs/patched.js';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPatched } from '../../../../../src/kafka/kafkajs/patches/marker.js';
import { encodeRecord } from '../../../../../src/kafka/kafkajs/patches/record-encoder.js';

// The record encoder must write exactly the bytes kafkajs's own does.

const require = createRequire(import.meta.url);
type RecordInput = Parameters<typeof encodeRecord>[0];
const installed = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as ((record: RecordInput) => {
  buffer: Buffer;
}) & {
  kafkajsRecord: (record: RecordInput) => { buffer: Buffer };
};

const text = fc.string({ unit: 'grapheme', maxLength: 300 });
const bytes = fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array));
const record = fc.record({
  offsetDelta: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  timestampDelta: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  key: fc.oneof(fc.constant(null), text, bytes),
  value: fc.oneof(fc.constant(null), text, bytes, fc.string({ minLength: 200, maxLength: 20_000 })),
  headers: fc.dictionary(
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.oneof(text, bytes, fc.array(text, { minLength: 1, maxLength: 3 })),
    { maxKeys: 12 },
  ),
});

describe("kafkajs's record encoder, replaced", () => {
  it('is installed in place of kafkajs own, which stays reachable', () => {
    expect(isPatched(installed)).toBe(true);
    expect(typeof installed.kafkajsRecord).toBe('function');
  });

  it('writes the bytes kafkajs writes, for any key, value, headers and deltas', () => {
    fc.assert(
      fc.property(record, (input) => {
        expect(encodeRecord(input)).toEqual(installed.kafkajsRecord(input).buffer);
        expect(installed(input).buffer).toEqual(installed.kafkajsRecord(input).buffer);
      }),
      { numRuns: 500 },
    );
  });

  it("hands what it does not expect to kafkajs's encoder", () => {
    expect(encodeRecord({ offsetDelta: 0, timestampDelta: 2 ** 40, key: null, value: 'v' })).toBeNull();
    expect(encodeRecord({ offsetDelta: 0, timestampDelta: 0, key: null, value: 'v', headers: { n: 5 } })).toBeNull();
    const big = { offsetDelta: 3, timestampDelta: 2 ** 40, key: 'k', value: 'v', headers: { a: 'b' } };
    expect(installed(big).buffer).toEqual(installed.kafkajsRecord(big).buffer);
  });
});
