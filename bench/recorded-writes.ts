import { withClient } from '../scripts/infra/pg-admin.js';
import type { ComponentType } from '../src/domain/catalogue.js';
import { systemClock } from '../src/processing/clock.js';
import { createBatchDecider } from '../src/processing/decide-batch.js';
import type { DecodedMessage } from '../src/processing/decoded-message.js';
import type {
  DecisionEntry,
  DecisionStore,
  DecisionTransaction,
  LedgerDecision,
  StateChange,
  StoredContract,
} from '../src/processing/ports.js';

// The rows the service writes for each chunk, found without a database: the
// service's own use case (createBatchDecider, EVENT_ORDER=arrival) runs on a
// store that keeps the ledger and the states in memory and notes what each
// chunk's transaction would write. pg-limit then writes exactly those rows.

/** What one chunk's transaction writes: its ledger (and audit) rows and its state upserts. */
export interface ChunkWrites {
  messages: number;
  entries: DecisionEntry[];
  changes: StateChange[];
}

/** The chunks' writes, partition by partition, in the order the chunks are given (each partition's in order). */
export async function recordServiceWrites(
  templateUrl: string,
  partitions: readonly (readonly DecodedMessage[][])[],
): Promise<ChunkWrites[][]> {
  const numbers = new Set<string>();
  for (const chunks of partitions)
    for (const chunk of chunks)
      for (const message of chunk) if (message.kind === 'valid') numbers.add(message.event.contractNumber);
  const contracts = await liveContracts(templateUrl, [...numbers]);
  const byId = new Map([...contracts.values()].map((contract) => [contract.id, contract]));
  const ledger = new Map<string, LedgerDecision>();
  let current: ChunkWrites = { messages: 0, entries: [], changes: [] };
  const tx: DecisionTransaction = {
    lockContracts: async (wanted) => {
      const found = new Map<string, StoredContract>();
      for (const number of wanted) {
        const contract = contracts.get(number);
        if (contract) found.set(number, { ...contract, states: { ...contract.states } });
      }
      return found;
    },
    findDecisions: async (ids) => new Map(ids.flatMap((id) => (ledger.has(id) ? [[id, ledger.get(id)!]] : []))),
    saveStates: async (changes) => {
      for (const change of changes) {
        const contract = byId.get(change.contractId);
        if (contract) contract.states = { ...contract.states, [change.component]: change.state };
      }
      current.changes.push(...changes);
    },
    recordDecisions: async (entries) => {
      for (const entry of entries) ledger.set(entry.eventId, entry);
      current.entries.push(...entries);
      return entries.length;
    },
    componentHistory: unsupported,
    statesBefore: unsupported,
    revisionsCausedBy: unsupported,
    reviseDecisions: unsupported,
    enqueueOutcomes: unsupported,
  };
  const store: DecisionStore = { inTransaction: (work) => work(tx) };
  const decide = createBatchDecider({ store, clock: systemClock, auditEnabled: true, eventOrder: 'arrival' });
  const result: ChunkWrites[][] = [];
  for (const chunks of partitions) {
    const writes: ChunkWrites[] = [];
    for (const chunk of chunks) {
      current = { messages: chunk.length, entries: [], changes: [] };
      await decide(chunk);
      writes.push(current);
    }
    result.push(writes);
  }
  return result;
}

async function unsupported(): Promise<never> {
  throw new Error('recorded writes model EVENT_ORDER=arrival only');
}

/** The live contracts of these numbers as the template holds them (ids, components, states). */
async function liveContracts(url: string, numbers: readonly string[]): Promise<Map<string, StoredContract>> {
  const { rows } = await withClient(url, (client) =>
    client.query<{ id: string; contract_number: string; components: ComponentType[] }>(
      `SELECT id::text AS id, contract_number, components::text[] AS components
       FROM contracts WHERE contract_number = ANY($1::text[]) AND deleted_at IS NULL`,
      [numbers],
    ),
  );
  // The benchmark's contracts have no states in the template (db-limit reads the same).
  return new Map(
    rows.map((row) => [
      row.contract_number,
      { id: row.id, contractNumber: row.contract_number, components: row.components, states: {}, folded: {} },
    ]),
  );
}
