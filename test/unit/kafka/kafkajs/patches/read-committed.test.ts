// kafkajs as the service loads it: patched first.
import '../../../../../src/kafka/kafkajs/patched.js';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { withoutAbortedRecords } from '../../../../../src/kafka/kafkajs/patches/read-committed.js';

// The layout of an outcome partition taken from a leader-bounce run (dumped with
// kafka-dump-log): producer 1002 began a transaction at 104 that was aborted at
// 147, producer 1001 one at 129 aborted at 135, with a committed transaction of
// producer 4 in between. The broker lists aborted transactions in the order of
// their abort markers: 1001 before 1002.

const data = (offset: number, producerId: string) => ({
  offset: String(offset),
  key: Buffer.from('k'),
  batchContext: { producerId, inTransaction: true },
});
const marker = (offset: number, producerId: string, kind: 'abort' | 'commit') => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, kind === 'abort' ? 0 : 1]),
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});
const range = (from: number, to: number, producerId: string) =>
  Array.from({ length: to - from + 1 }, (_, i) => data(from + i, producerId));

const messages = [
  ...range(104, 118, '1002'),
  marker(119, '2001', 'commit'),
  ...range(120, 128, '4'),
  ...range(129, 134, '1001'),
  marker(135, '1001', 'abort'),
  marker(136, '4', 'commit'),
  marker(147, '1002', 'abort'),
];
const abortedTransactions = [
  { producerId: '1001', firstOffset: '129' },
  { producerId: '1002', firstOffset: '104' },
];
const committedOffsets = range(120, 128, '4').map((m) => m.offset);

describe('read_committed on kafkajs', () => {
  it('drops every record of aborted transactions that interleave, in whatever order the broker lists them', () => {
    const kept = withoutAbortedRecords({ messages, abortedTransactions }).filter((m) => !('isControlRecord' in m));
    expect(kept.map((m) => m.offset)).toEqual(committedOffsets);
  });

  it("is the filter kafkajs's own batches use", () => {
    const require = createRequire(import.meta.url);
    const Batch = require('kafkajs/src/consumer/batch.js') as new (
      topic: string,
      fetchedOffset: string,
      data: object,
    ) => { messages: { offset: string }[] };
    const batch = new Batch('outcomes', '104', { partition: 1, highWatermark: '148', abortedTransactions, messages });
    expect(batch.messages.map((m) => m.offset)).toEqual(committedOffsets);
  });
});
