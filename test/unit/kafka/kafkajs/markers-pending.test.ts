import { describe, expect, it } from 'vitest';
import { whileMarkersPending } from '../../../../src/kafka/kafkajs/markers-pending.js';

/** kafkajs's protocol errors carry the broker's error type. */
const brokerError = (type: string) => Object.assign(new Error(`${type} from the broker`), { type });

/** Work that fails with the given errors first, then answers 'done'; counts its attempts. */
function failingFirst(...errors: Error[]) {
  let attempts = 0;
  return {
    attempts: () => attempts,
    work: async () => {
      const error = errors[attempts];
      attempts += 1;
      if (error) throw error;
      return 'done';
    },
  };
}

describe('whileMarkersPending', () => {
  it('asks again while the coordinator is still writing the last transaction markers', async () => {
    const call = failingFirst(brokerError('CONCURRENT_TRANSACTIONS'), brokerError('CONCURRENT_TRANSACTIONS'));
    await expect(whileMarkersPending(call.work, [1, 1, 1])).resolves.toBe('done');
    expect(call.attempts()).toBe(3);
  });

  it('leaves any other failure to the caller at once', async () => {
    const call = failingFirst(brokerError('PRODUCER_FENCED'));
    await expect(whileMarkersPending(call.work, [1, 1, 1])).rejects.toThrow('PRODUCER_FENCED');
    expect(call.attempts()).toBe(1);
  });

  it('gives up once its waits are used up, with the last failure', async () => {
    const pending = () => brokerError('CONCURRENT_TRANSACTIONS');
    const call = failingFirst(pending(), pending(), pending(), pending());
    await expect(whileMarkersPending(call.work, [1, 1])).rejects.toThrow('CONCURRENT_TRANSACTIONS');
    expect(call.attempts()).toBe(3);
  });
});
