import { describe, expect, it } from 'vitest';
import { replayOutcome, type LedgerOutcomeRow } from '../../../src/replay/replay-outcome.js';

// Outcomes rebuilt from the ledger and the audit for `--republish`.

const row = (fields: Partial<LedgerOutcomeRow>): LedgerOutcomeRow => ({
  event_id: 'ev-1',
  status: 'accepted',
  code: 'ACCEPTED',
  message: 'Event processed successfully.',
  error: null,
  source: { transport: 'kafka', topic: 'contract-events', partition: 2, offset: '41' },
  revision: 0,
  processed_at: '2026-03-01T10:00:00.000001Z',
  type: 'supply_energy_start',
  contract_number: '1234',
  date: '2024-12-01',
  created_at: '2024-11-20T10:00:00.000000Z',
  kafka_topic: 'contract-events',
  kafka_partition: 2,
  kafka_offset: '41',
  ...fields,
});

describe('replayOutcome', () => {
  it('is the outcome of the decision the ledger holds now, marked as a replay and keyed by contract', () => {
    expect(
      replayOutcome(
        row({
          status: 'rejected',
          code: 'STALE_START',
          message: 'Start event ignored: older or equal to existing start event.',
          revision: 2,
        }),
      ),
    ).toEqual({
      key: '1234',
      message: {
        event_id: 'ev-1',
        status: 'rejected',
        code: 'STALE_START',
        message: 'Start event ignored: older or equal to existing start event.',
        duplicate: false,
        event: {
          type: 'supply_energy_start',
          contract_number: '1234',
          date: '2024-12-01',
          created_at: '2024-11-20T10:00:00.000000Z',
        },
        error: null,
        source: { transport: 'kafka', topic: 'contract-events', partition: 2, offset: '41' },
        processed_at: '2026-03-01T10:00:00.000001Z',
        revision: 2,
        revises: null,
        replay: true,
      },
    });
  });

  it('takes the Kafka position from the audit when the ledger row has no source', () => {
    expect(replayOutcome(row({ source: null })).message.source).toEqual({
      transport: 'kafka',
      topic: 'contract-events',
      partition: 2,
      offset: '41',
    });
  });

  it("answers input that was not a valid event with the producer's event_id read again from the quoted value", () => {
    const raw = JSON.stringify({ event_id: 'crm-9', type: 'supply_energy_start', date: '2024-02-30' });
    const invalid = row({
      event_id: 'position-id',
      status: 'error',
      code: 'VALIDATION_ERROR',
      message: 'The event is not valid: date: …',
      error: {
        code: 'VALIDATION_ERROR',
        message: 'The event is not valid: date: …',
        details: { issues: [], raw, raw_truncated: false },
      },
      type: null,
      contract_number: null,
      date: null,
      created_at: null,
    });
    const outcome = replayOutcome(invalid);
    // Keyed by the ledger's id, the position id: the input's own key is not stored.
    expect(outcome).toMatchObject({
      key: 'position-id',
      message: { event_id: 'crm-9', event: null, status: 'error', replay: true },
    });
    expect(outcome.message.error).toEqual(invalid.error);
    // A cut quote or no JSON: the ledger's id, as the first outcome had.
    const cut = { ...invalid, error: { ...invalid.error!, details: { raw, raw_truncated: true } } };
    expect(replayOutcome(cut).message.event_id).toBe('position-id');
    const notJson = {
      ...invalid,
      code: 'INVALID_JSON' as const,
      error: { code: 'INVALID_JSON', message: 'not JSON', details: { raw: '{"event_id":"x"', raw_truncated: false } },
    };
    expect(replayOutcome(notJson).message.event_id).toBe('position-id');
  });

  it('gives an error decision without a stored error the ErrorResponse of its code and message', () => {
    const failed = replayOutcome(
      row({
        status: 'error',
        code: 'PROCESSING_FAILED',
        message: 'The event could not be processed after 3 attempts: x',
      }),
    );
    expect(failed.message.error).toEqual({
      code: 'PROCESSING_FAILED',
      message: 'The event could not be processed after 3 attempts: x',
    });
    expect(failed.key).toBe('1234');
  });

  it('refuses a row that makes no valid outcome', () => {
    expect(() => replayOutcome(row({ code: 'NOT_A_CODE' as never }))).toThrow(
      'The decision of ev-1 makes no valid outcome',
    );
  });
});
