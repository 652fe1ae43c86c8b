import { kafkaLineLevel } from '../../../../src/kafka/kafkajs/log-filter.js';
import { logLevel } from '../../../../src/kafka/kafkajs/patched.js';
import { describe, expect, it } from 'vitest';

// What kafkajs itself logs for an error answer of the broker (network/connection.js).
const CONCURRENT =
  'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';

describe('kafkajs log lines', () => {
  it("keep kafkajs's level for what an operator should see", () => {
    expect(
      kafkaLineLevel(
        logLevel.ERROR,
        'Response Produce(key: 0, version: 7)',
        { error: 'This server is not the leader for that topic-partition' },
        false,
      ),
    ).toBe('error');
    expect(kafkaLineLevel(logLevel.WARN, 'Crash: connection lost', {}, false)).toBe('warn');
    expect(kafkaLineLevel(logLevel.INFO, 'Consumer has joined the group', {}, false)).toBe('info');
    expect(kafkaLineLevel(logLevel.DEBUG, 'Request Fetch', {}, false)).toBe('debug');
  });

  it('put routine retried answers, SASL noise and quiet clients at debug', () => {
    expect(
      kafkaLineLevel(
        logLevel.ERROR,
        'Response AddPartitionsToTxn(key: 24, version: 1)',
        { error: CONCURRENT, correlationId: 7 },
        false,
      ),
    ).toBe('debug');
    expect(kafkaLineLevel(logLevel.ERROR, 'Failed SASL authentication', {}, false)).toBe('debug');
    expect(kafkaLineLevel(logLevel.ERROR, 'Response Produce(key: 0, version: 7)', { error: 'anything' }, true)).toBe(
      'debug',
    );
  });
});
