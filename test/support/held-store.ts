import type { DecisionStore } from '../../src/processing/ports.js';

export interface HeldStore {
  /** Decides as the wrapped store does, but each transaction waits, its work done, until released. */
  store: DecisionStore;
  /** Resolves once a transaction has done its work (its row locks are held) and waits to commit. */
  atCommit: Promise<void>;
  release(): void;
}

/** A batch that has locked its contracts and written its decisions, but not committed yet. */
export function holdBeforeCommit(store: DecisionStore): HeldStore {
  let reachedCommit!: () => void;
  const atCommit = new Promise<void>((resolve) => (reachedCommit = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    store: {
      inTransaction: (work) =>
        store.inTransaction(async (tx) => {
          const result = await work(tx);
          reachedCommit();
          await released;
          return result;
        }),
    },
    atCommit,
    release,
  };
}
