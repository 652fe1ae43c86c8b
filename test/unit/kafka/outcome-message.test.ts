import { describe, expect, it } from 'vitest';
import { outcomeHeaders, toOutboundMessage } from '../../../src/kafka/outcome-message.js';
import { outcomeHeadersSchema } from '../../../src/schemas/outcome-headers.js';
import { outcomeMessageSchema, type OutcomeMessage } from '../../../src/schemas/outcome.js';

const accepted: OutcomeMessage = outcomeMessageSchema.parse({
  event_id: 'crm-1',
  status: 'accepted',
  code: 'ACCEPTED',
  message: 'Event processed successfully.',
  duplicate: false,
  event: {
    type: 'supply_energy_start',
    contract_number: '1234',
    date: '2024-12-01',
    created_at: '2024-11-20T10:00:00.000000Z',
  },
  error: null,
  source: { transport: 'kafka', topic: 'contract-events', partition: 2, offset: '9007199254740993' },
  processed_at: '2026-12-02T10:00:00.123456Z',
  revision: 0,
  revises: null,
  replay: false,
});

describe('outcome message headers', () => {
  it('carry the event id and the CloudEvents binary-mode attributes, identity from the input position', () => {
    const { traceparent, ...headers } = outcomeHeaders(accepted);
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(headers).toEqual({
      'event-id': 'crm-1',
      'content-type': 'application/json',
      ce_specversion: '1.0',
      ce_id: 'contract-events/2/9007199254740993',
      ce_source: '/contract-events-service',
      ce_type: 'io.contract-events.outcome.accepted',
      ce_time: '2026-12-02T10:00:00.123456Z',
    });
    expect(toOutboundMessage({ key: '1234', message: accepted }).headers).toEqual(outcomeHeaders(accepted));
  });

  it('name a revision and an HTTP decision apart, and type each status', () => {
    const revised = { ...accepted, status: 'rejected' as const, code: 'END_BEFORE_START' as const, revision: 2 };
    expect(outcomeHeaders(revised)).toMatchObject({
      ce_id: 'contract-events/2/9007199254740993/revision/2',
      ce_type: 'io.contract-events.outcome.rejected',
    });
    const overHttp = {
      ...accepted,
      status: 'error' as const,
      code: 'VALIDATION_ERROR' as const,
      source: { transport: 'http' as const, request_id: 'req-7' },
    };
    expect(outcomeHeaders(overHttp)).toMatchObject({
      ce_id: 'http/req-7',
      ce_type: 'io.contract-events.outcome.error',
    });
  });

  it('match their schema, which refuses what a CloudEvents reader would not take', () => {
    expect(outcomeHeadersSchema.parse(outcomeHeaders(accepted))).toEqual(outcomeHeaders(accepted));
    expect(outcomeHeadersSchema.safeParse({ ...outcomeHeaders(accepted), ce_specversion: '0.3' }).success).toBe(false);
    expect(outcomeHeadersSchema.safeParse({ ...outcomeHeaders(accepted), ce_type: 'accepted' }).success).toBe(false);
  });
});
