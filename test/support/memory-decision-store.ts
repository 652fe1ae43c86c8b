import type { ComponentType } from '../../src/domain/catalogue.js';
import { EMPTY_COMPONENT_STATE, type ComponentState } from '../../src/domain/component-state.js';
import { acceptedState } from '../../src/domain/decide.js';
import { compareEventKeys, type EventKey } from '../../src/domain/event-order.js';
import type { Outcome } from '../../src/processing/outcome.js';
import {
  componentKey,
  type ComponentRef,
  type DecisionEntry,
  type DecisionStore,
  type DecisionTransaction,
  type LedgerDecision,
  type PastEvent,
  type StandingRevision,
  type StoredContract,
} from '../../src/processing/ports.js';

// A stand-in for the Postgres decision store, for fast tests of the use case
// (the real one is covered by the integration suites): every transaction works
// on a copy and replaces the committed data only if its work succeeds, so a
// crash before commit leaves nothing behind.

interface Data {
  contracts: Map<string, StoredContract>;
  ledger: Map<string, LedgerDecision>;
  audit: DecisionEntry[];
  revisions: (StandingRevision & { causedBy: string; revision: number })[];
  outbox: Outcome[];
}

export interface MemoryDecisionStore extends DecisionStore {
  /** The committed contracts, states included. */
  contract(contractNumber: string): StoredContract | undefined;
  committed(): Data;
}

export function createMemoryDecisionStore(
  contracts: { contractNumber: string; components: ComponentType[] }[],
): MemoryDecisionStore {
  let data: Data = {
    contracts: new Map(
      contracts.map((c, index) => [c.contractNumber, { ...c, id: String(index + 1), states: {}, folded: {} }]),
    ),
    ledger: new Map(),
    audit: [],
    revisions: [],
    outbox: [],
  };
  return {
    async inTransaction(work) {
      const copy = structuredClone(data);
      const result = await work(transaction(copy));
      data = copy;
      return result;
    },
    contract: (contractNumber) => data.contracts.get(contractNumber),
    committed: () => data,
  };
}

function transaction(data: Data): DecisionTransaction {
  const byId = (id: string) => [...data.contracts.values()].find((contract) => contract.id === id)!;
  const pastEvent = (entry: DecisionEntry): PastEvent => ({
    eventId: entry.eventId,
    event: {
      type: entry.eventType!,
      contractNumber: entry.contractNumber!,
      date: entry.eventDate!,
      createdAt: entry.eventCreatedAt!,
    },
    decision: data.ledger.get(entry.eventId)!,
    source: entry.source,
  });
  const keyOf = (past: PastEvent): EventKey => ({ createdAt: past.event.createdAt, eventId: past.eventId });
  /** A component's valid audited events with their current decisions, in created_at order. */
  const foldable = (ref: ComponentRef): PastEvent[] =>
    data.audit
      .filter((e) => e.contractId === ref.contractId && e.component === ref.component && e.status !== 'error')
      .map(pastEvent)
      .sort((a, b) => compareEventKeys(keyOf(a), keyOf(b)));
  return {
    async lockContracts(numbers) {
      return new Map(
        numbers.flatMap((n) => (data.contracts.has(n) ? [[n, structuredClone(data.contracts.get(n)!)] as const] : [])),
      );
    },
    async findDecisions(eventIds) {
      return new Map(eventIds.flatMap((id) => (data.ledger.has(id) ? [[id, data.ledger.get(id)!] as const] : [])));
    },
    async saveStates(changes) {
      for (const { contractId, component, state, folded } of changes) {
        const contract = byId(contractId);
        contract.states = { ...contract.states, [component]: state };
        const { [component]: _dropped, ...others } = contract.folded;
        contract.folded = folded ? { ...others, [component]: folded } : others;
      }
    },
    async recordDecisions(entries, audit) {
      let recorded = 0;
      for (const entry of entries) {
        if (data.ledger.has(entry.eventId)) continue;
        const { status, code, message, error, source, processedAt, fingerprint, revision } = entry;
        data.ledger.set(entry.eventId, { status, code, message, error, source, processedAt, fingerprint, revision });
        if (audit) data.audit.push(entry);
        recorded += 1;
      }
      return recorded;
    },
    async componentHistory(positions, limit) {
      const history = new Map<string, PastEvent[]>();
      for (const { ref, key } of positions) {
        const after = foldable(ref).filter((event) => key === null || compareEventKeys(keyOf(event), key) > 0);
        history.set(componentKey(ref), after.slice(0, limit));
      }
      return history;
    },
    async statesBefore(positions) {
      const states = new Map<string, ComponentState>();
      for (const { ref, key } of positions) {
        const accepted = foldable(ref).filter(
          (e) => e.decision.status === 'accepted' && compareEventKeys(keyOf(e), key) < 0,
        );
        states.set(
          componentKey(ref),
          accepted.reduce((state, e) => acceptedState(state, e.event), EMPTY_COMPONENT_STATE),
        );
      }
      return states;
    },
    async revisionsCausedBy(eventIds) {
      return data.revisions
        .filter((r) => eventIds.includes(r.causedBy) && data.ledger.get(r.event.eventId)?.revision === r.revision)
        .map(({ event, revises, revisedAt }) => ({
          event: pastEvent(data.audit.find((e) => e.eventId === event.eventId)!),
          revises,
          revisedAt,
        }));
    },
    async reviseDecisions(revisions, revisedAt) {
      for (const r of revisions) {
        const before = data.ledger.get(r.eventId)!;
        data.ledger.set(r.eventId, { ...before, ...r.decision, revision: r.revision });
        const entry = data.audit.find((e) => e.eventId === r.eventId)!;
        const revises = {
          revision: r.revision - 1,
          status: r.previous.status,
          code: r.previous.code,
          caused_by: r.causedBy,
        };
        data.revisions.push({
          event: pastEvent(entry),
          revises,
          revisedAt,
          causedBy: r.causedBy,
          revision: r.revision,
        });
      }
    },
    async enqueueOutcomes(outcomes) {
      data.outbox.push(...outcomes);
    },
  };
}
