import { decide } from '../domain/decide.js';
import type { NewMessageDecider } from './event-order.js';
import { decisionEntry, invalidEntry } from './decision-entry.js';
import { ledgerIdOf } from './decoded-message.js';
import type { DecisionEntry, StateChange } from './ports.js';

/**
 * EVENT_ORDER=arrival: each new event is decided, in message order, against
 * the state the events before it left (the batch works on its own copy of
 * the locked contracts).
 */
export const decideInArrivalOrder: NewMessageDecider = async (fresh, { contracts, processedAt }) => {
  const entries = new Map<string, DecisionEntry>();
  const changes = new Map<string, StateChange>();
  for (const decoded of fresh) {
    if (decoded.kind === 'invalid') {
      entries.set(ledgerIdOf(decoded), invalidEntry(decoded, processedAt));
      continue;
    }
    const contract = contracts.get(decoded.event.contractNumber);
    const decision = decide(contract, decoded.event);
    if (contract && decision.nextState) {
      contract.states = { ...contract.states, [decision.component]: decision.nextState };
      // An arrival-order write is no fold: created_at mode re-folds this component before it trusts the state.
      const change = {
        contractId: contract.id,
        component: decision.component,
        state: decision.nextState,
        folded: null,
      };
      changes.set(`${contract.id}/${decision.component}`, change);
    }
    entries.set(decoded.eventId, decisionEntry(decoded, decision, contract?.id ?? null, processedAt));
  }
  return { entries, changes: [...changes.values()], revisions: [] };
};
