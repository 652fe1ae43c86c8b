import { createRequire } from 'node:module';
import { isPatched, markPatched } from './marker.js';

// kafkajs 2.2.4 finds the coordinator of a transactional id or group (and
// reads metadata) by asking the brokers one by one (BrokerPool.withBroker),
// dropping every broker's answer: a principal without Describe on its
// transactional id got "Failed to find group coordinator", which looks like an
// outage and was retried forever. The same method here, except that when no
// broker helped and one refused for want of an ACL, that refusal is thrown (as
// kafkajs's protocol error, with its type), so it is classified as the
// permanent failure it is. Applied by ./index.ts.

type BrokerCallback = (target: { nodeId: string; broker: unknown }) => Promise<unknown>;

interface BrokerPoolInternals {
  withBroker(callback: BrokerCallback): Promise<unknown>;
}

/** A refusal for want of an ACL: every broker answers alike, so asking another cannot help. */
export function isAuthorizationRefusal(error: unknown): boolean {
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  return typeof type === 'string' && type.endsWith('_AUTHORIZATION_FAILED');
}

const require = createRequire(import.meta.url);

/** Puts the method in place of kafkajs's; false when it already is. */
export function installRefusalFix(): boolean {
  const BrokerPool = require('kafkajs/src/cluster/brokerPool.js') as { prototype: BrokerPoolInternals };
  const withAnyBroker = BrokerPool.prototype.withBroker;
  if (isPatched(withAnyBroker)) return false;
  BrokerPool.prototype.withBroker = markPatched(async function withBroker(
    this: BrokerPoolInternals,
    callback: BrokerCallback,
  ) {
    let refusal: unknown;
    const answer = await withAnyBroker.call(this, async (target) => {
      try {
        return await callback(target);
      } catch (error) {
        if (isAuthorizationRefusal(error)) refusal ??= error;
        throw error;
      }
    });
    // kafkajs answers null when every broker failed.
    if (answer === null && refusal !== undefined) throw refusal;
    return answer;
  });
  return true;
}
