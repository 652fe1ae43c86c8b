import { describe, expect, it } from 'vitest';
import { partitionsOfTopic, skippedTransactionMarkers } from '../../support/fault/broker-log.js';

// Lines as Kafka 4.4 wrote them in a broker-restart run (topic names shortened).
const log = [
  '[2026-12-02 15:32:23,668] INFO [Transaction State Manager 1]: Sending txn markers for TransactionalIdCoordinatorEpochAndTransitMetadata[transactionalId=br-service-br-events-1, coordinatorEpoch=0, result=COMMIT] after loading partition 1 (kafka.coordinator.transaction.TransactionStateManager)',
  "[2026-12-02 15:32:30,634] INFO [Transaction Marker Channel Manager 1]: Couldn't find leader endpoint for partitions Set(br-outcomes-1, __consumer_offsets-3) while trying to send transaction markers for br-service-br-events-1, these partitions are likely deleted already and hence can be skipped (kafka.coordinator.transaction.TransactionMarkerChannelManager)",
  "[2026-12-02 15:32:30,640] INFO [Transaction Marker Channel Manager 1]: Couldn't find leader endpoint for partitions Set(__consumer_offsets-7) while trying to send transaction markers for br-service-br-events-0, these partitions are likely deleted already and hence can be skipped (kafka.coordinator.transaction.TransactionMarkerChannelManager)",
].join('\n');

describe('markers a broker says it skipped', () => {
  it('finds each transaction and the partitions it skipped', () => {
    expect(skippedTransactionMarkers(log)).toEqual([
      { transactionalId: 'br-service-br-events-1', partitions: ['br-outcomes-1', '__consumer_offsets-3'] },
      { transactionalId: 'br-service-br-events-0', partitions: ['__consumer_offsets-7'] },
    ]);
  });

  it('finds nothing in a log without such lines', () => {
    expect(skippedTransactionMarkers(log.split('\n')[0]!)).toEqual([]);
  });

  it("picks one topic's partition numbers, not those of a topic whose name merely starts the same", () => {
    expect(
      partitionsOfTopic(['br-outcomes-1', '__consumer_offsets-3', 'br-outcomes-x-2', 'br-outcomes-12'], 'br-outcomes'),
    ).toEqual([1, 12]);
  });
});
