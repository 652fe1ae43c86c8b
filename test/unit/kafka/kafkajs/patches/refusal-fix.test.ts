// kafkajs as the service loads it: patched first.
import '../../../../../src/kafka/kafkajs/patched.js';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// kafkajs's BrokerPool.withBroker (as patched) on a pool of two brokers: it
// asks them in turn and answers with the first that helps; when none does,
// kafkajs answers null, unless one refused for want of an ACL.

const require = createRequire(import.meta.url);
type Callback = (target: { nodeId: string; broker: unknown }) => Promise<unknown>;
const BrokerPool = require('kafkajs/src/cluster/brokerPool.js') as {
  prototype: { withBroker(this: unknown, callback: Callback): Promise<unknown> };
};
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as {
  createErrorFromCode(code: number): Error;
};
const { KafkaJSConnectionError } = require('kafkajs') as { KafkaJSConnectionError: new (message: string) => Error };

/** Two brokers; `answer(nodeId)` is what each does with the callback's request. */
const withBrokers = (answer: (nodeId: string) => Promise<unknown>) =>
  BrokerPool.prototype.withBroker.call(
    { brokers: { 1: {}, 2: {} }, findBroker: async ({ nodeId }: { nodeId: string }) => ({ nodeId }) },
    ({ nodeId }) => answer(nodeId),
  );

// Kafka protocol error codes: 53 TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 30 GROUP_AUTHORIZATION_FAILED, 15 COORDINATOR_NOT_AVAILABLE.
describe('asking each broker in turn (kafkajs BrokerPool.withBroker)', () => {
  it.each([
    [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'],
    [30, 'GROUP_AUTHORIZATION_FAILED'],
  ])('throws the refusal (code %i) when every broker refuses for want of an ACL', async (code, type) => {
    await expect(withBrokers(() => Promise.reject(createErrorFromCode(code)))).rejects.toMatchObject({
      type,
      retriable: false,
    });
  });

  it('throws the refusal when one broker refuses and the other cannot be reached', async () => {
    const answer = (nodeId: string) =>
      Promise.reject(
        nodeId === '1' ? createErrorFromCode(53) : new KafkaJSConnectionError('Connection error: ECONNREFUSED'),
      );
    await expect(withBrokers(answer)).rejects.toMatchObject({ type: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' });
  });

  it('still answers null, as kafkajs does, when no broker helped for another reason', async () => {
    expect(await withBrokers(() => Promise.reject(createErrorFromCode(15)))).toBeNull();
  });

  it("answers with a broker's answer when one helps, whatever the other said", async () => {
    const answer = (nodeId: string) =>
      nodeId === '2' ? Promise.resolve({ coordinator: 2 }) : Promise.reject(createErrorFromCode(53));
    expect(await withBrokers(answer)).toEqual({ coordinator: 2 });
  });
});
