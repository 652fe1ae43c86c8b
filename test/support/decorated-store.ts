import type { DecisionStore, DecisionTransaction } from '../../src/processing/ports.js';

/** `store`, with some methods of each transaction it opens replaced: `decorate` gets the real transaction to delegate to. */
export function decoratedStore(
  store: DecisionStore,
  decorate: (tx: DecisionTransaction) => Partial<DecisionTransaction>,
): DecisionStore {
  return { inTransaction: (work) => store.inTransaction((tx) => work({ ...tx, ...decorate(tx) })) };
}
