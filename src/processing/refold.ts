import type { ComponentType } from '../domain/catalogue.js';
import { sameComponentState, type ComponentState } from '../domain/component-state.js';
import { acceptedState, type ContractView, type Decision } from '../domain/decide.js';
import { compareEventKeys, type EventKey } from '../domain/event-order.js';
import { foldStep } from '../domain/fold.js';
import type { ValidMessage } from './decoded-message.js';
import type { PastEvent } from './ports.js';

/** Where one component's re-fold starts, and how it reads on. */
export interface RefoldInput {
  contract: ContractView;
  component: ComponentType;
  /** The component's new events, in created_at order. */
  fresh: readonly ValidMessage[];
  /** The fold's state just before the first event of `page`'s range. */
  from: ComponentState;
  /** The first decided events after that position, in created_at order. */
  page: readonly PastEvent[];
  /** When `page` holds this many, more may follow. */
  pageLimit: number;
  /** At most `limit` decided events after a key, in created_at order. */
  readAfter(key: EventKey, limit: number): Promise<PastEvent[]>;
  /** The largest page: each page read is twice the one before, up to this. */
  pageSize: number;
  /**
   * The stored state and the newest event folded into it, when the recorded
   * decisions are that fold's: then the re-fold may stop once it agrees with
   * them again. Undefined when the state is no fold (arrival mode, a repair).
   */
  stored?: { state: ComponentState; folded: EventKey };
}

export interface RefoldResult {
  /** Each new event with its decision, in created_at order. */
  fresh: { message: ValidMessage; decision: Decision }[];
  /** Each event decided earlier whose decision changes, in created_at order. */
  revised: { past: PastEvent; decision: Decision }[];
  state: ComponentState;
  /** The newest event folded into `state`. */
  folded: EventKey;
}

export const keyOf = (eventId: string, message: { event: { createdAt: bigint } }): EventKey => ({
  createdAt: message.event.createdAt,
  eventId,
});

/**
 * Folds a component's new events into its decided ones, from a position on:
 * the events after it are read a page at a time, merged with the new ones in
 * created_at order and decided against the state the ones before them left.
 * Beside the new fold it follows the recorded one (each past event's recorded
 * decision applied to the state before it): once the two states are equal and
 * no new event is left, every decision that follows is unchanged, so it stops
 * reading there and the stored state stands. Pages start small (most late
 * events agree again within a few events) and double up to `pageSize`:
 * memory holds one page and the changed decisions, and the work is bounded by
 * what follows the position.
 */
export async function refold(input: RefoldInput): Promise<RefoldResult> {
  const { contract, component, fresh, stored } = input;
  const decidedFresh: RefoldResult['fresh'] = [];
  const revised: RefoldResult['revised'] = [];
  let state = input.from;
  let recorded = input.from;
  let last: EventKey | undefined;
  const decideFresh = (before?: EventKey) => {
    for (let message = fresh[decidedFresh.length]; message; message = fresh[decidedFresh.length]) {
      if (before && compareEventKeys(keyOf(message.eventId, message), before) > 0) return;
      const step = foldStep(contract, component, state, message.event);
      decidedFresh.push({ message, decision: step.decision });
      state = step.state;
    }
  };
  let page = input.page;
  let limit = input.pageLimit;
  let more = page.length === limit;
  for (;;) {
    for (const past of page) {
      last = keyOf(past.eventId, past);
      decideFresh(last);
      const step = foldStep(contract, component, state, past.event);
      if (step.decision.code !== past.decision.code) revised.push({ past, decision: step.decision });
      state = step.state;
      if (past.decision.status === 'accepted') recorded = acceptedState(recorded, past.event);
    }
    if (!more) break;
    if (stored && decidedFresh.length === fresh.length && sameComponentState(state, recorded)) {
      return { fresh: decidedFresh, revised, state: stored.state, folded: stored.folded };
    }
    limit = Math.min(input.pageSize, limit * 2);
    page = await input.readAfter(last!, limit);
    more = page.length === limit;
  }
  decideFresh();
  const newest = decidedFresh.at(-1)!.message;
  const newestKey = keyOf(newest.eventId, newest);
  return {
    fresh: decidedFresh,
    revised,
    state,
    folded: last && compareEventKeys(last, newestKey) > 0 ? last : newestKey,
  };
}
