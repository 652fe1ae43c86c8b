import { createRequire } from 'node:module';
import { isPatched, markPatched } from './marker.js';

// kafkajs 2.2.4 drops the records of aborted transactions from what a
// read_committed consumer sees by walking the broker's list of aborted
// transactions in order of their first offset. The broker lists them in the
// order of their abort markers instead, and kafkajs steps into at most one
// transaction per record, so when aborted transactions interleave (a leader
// failover produces exactly that) kafkajs hands out records that were never
// committed. This module replaces kafkajs's filter with one that sorts the
// list and steps into every transaction that has begun, as the Java consumer
// does. Applied by ./index.ts, before kafkajs itself loads (it binds the
// filter when it does).

interface RawMessage {
  offset: string;
  key?: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

/** The records of `messages` that are not part of an aborted transaction (control records are kept; kafkajs drops them next). */
export function withoutAbortedRecords({
  messages,
  abortedTransactions,
}: {
  messages: RawMessage[];
  abortedTransactions?: AbortedTransaction[];
}): RawMessage[] {
  if (!abortedTransactions?.length) return messages;
  const pending = [...abortedTransactions].sort((a, b) =>
    BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : BigInt(a.firstOffset) > BigInt(b.firstOffset) ? 1 : 0,
  );
  const aborting = new Set<string>();
  return messages.filter((message) => {
    const offset = BigInt(message.offset);
    while (pending.length > 0 && offset >= BigInt(pending[0]!.firstOffset))
      aborting.add(String(pending.shift()!.producerId));
    const producerId = String(message.batchContext.producerId);
    if (message.isControlRecord) {
      if (message.key && Buffer.from(message.key).equals(ABORT_MARKER_KEY)) aborting.delete(producerId);
      return true;
    }
    return !(message.batchContext.inTransaction && aborting.has(producerId));
  });
}

const require = createRequire(import.meta.url);

/** Puts the filter in place of kafkajs's; false when it already is. kafkajs binds the filter when its consumer loads, so that must not have happened yet. */
export function installReadCommittedFilter(): boolean {
  const filterPath = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
  if (isPatched(require.cache[filterPath]?.exports)) return false;
  if (require.cache[require.resolve('kafkajs/src/consumer/batch.js')]) {
    throw new Error(
      'The read_committed patch (src/kafka/kafkajs/patches) must be applied before kafkajs is loaded: import kafkajs from src/kafka/kafkajs/patched.ts.',
    );
  }
  require(filterPath);
  require.cache[filterPath]!.exports = markPatched(withoutAbortedRecords);
  return true;
}
