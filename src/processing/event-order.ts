import type { Outcome } from './outcome.js';
import type { DecisionEntry, DecisionTransaction, Revision, StateChange, StoredContract } from './ports.js';
import type { DecodedMessage } from './decoded-message.js';

/** `arrival`: each event is decided against the state when it arrives. `created_at`: the state is the fold in created_at order. */
export type EventOrder = 'arrival' | 'created_at';

/** The new decisions of a batch, however they were ordered. */
export interface NewDecisions {
  /** By ledger id: the decision of each message seen for the first time. */
  entries: Map<string, DecisionEntry>;
  changes: StateChange[];
  /** Earlier events re-decided, with the outcome that announces each. */
  revisions: { revision: Revision; outcome: Outcome }[];
}

/** How a batch's new messages are decided: what an event order needs from the transaction. */
export type NewMessageDecider = (
  fresh: readonly DecodedMessage[],
  context: {
    contracts: Map<string, StoredContract>;
    tx: DecisionTransaction;
    processedAt: string;
    /** At most how many decided events a re-fold reads per statement (EVENT_ORDER=created_at). */
    historyPage: number;
  },
) => Promise<NewDecisions>;
