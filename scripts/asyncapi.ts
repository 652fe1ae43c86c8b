import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { z } from 'zod';
import { contractEventSchema } from '../src/schemas/event.js';
import { outcomeHeaders } from '../src/kafka/outcome-message.js';
import { outcomeHeadersSchema } from '../src/schemas/outcome-headers.js';
import { outcomeMessageSchema } from '../src/schemas/outcome.js';

// Writes asyncapi.yaml from the zod schemas, so the published Kafka contract
// cannot drift from the code (`npm run docs:asyncapi`; a test compares).

export const ASYNCAPI_PATH = fileURLToPath(new URL('../asyncapi.yaml', import.meta.url));

type JsonObject = Record<string, unknown>;

/**
 * JSON Schemas (draft-07, which AsyncAPI schemas extend) of the wire schemas
 * and everything they name, keyed by their zod `id`, with refs into components.
 */
function componentSchemas(schemas: { schema: z.ZodType; io: 'input' | 'output' }[]): Record<string, JsonObject> {
  const collected: Record<string, JsonObject> = {};
  for (const { schema, io } of schemas) {
    const converted = z.toJSONSchema(schema, { target: 'draft-7', io }) as { definitions?: Record<string, JsonObject> };
    const rewritten = JSON.parse(
      JSON.stringify(converted.definitions ?? {}).replaceAll('"#/definitions/', '"#/components/schemas/'),
    ) as Record<string, JsonObject>;
    Object.assign(collected, rewritten);
  }
  return collected;
}

/** The headers the service sends with an example outcome (which must be a valid one). */
const headersOf = (payload: unknown) => outcomeHeaders(outcomeMessageSchema.parse(payload));

const example = {
  event: {
    type: 'supply_energy_start',
    contract_number: '1234',
    date: '2024-12-01',
    created_at: '2024-11-20T10:00:00.000000Z',
    event_id: 'crm-7f3a2c',
  },
  accepted: {
    event_id: 'crm-7f3a2c',
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
    source: { transport: 'kafka', topic: 'contract-events', partition: 0, offset: '42' },
    processed_at: '2026-01-01T00:00:00.000000Z',
    revision: 0,
    revises: null,
    replay: false,
  },
  revision: {
    event_id: 'crm-7f3a2d',
    status: 'rejected',
    code: 'RESTART_AFTER_END',
    message: 'Start event that comes after the end event should be rejected.',
    duplicate: false,
    event: {
      type: 'supply_energy_start',
      contract_number: '1234',
      date: '2024-12-03',
      created_at: '2024-11-20T10:03:00.000000Z',
    },
    error: null,
    source: { transport: 'kafka', topic: 'contract-events', partition: 0, offset: '43' },
    processed_at: '2026-01-01T00:05:00.000000Z',
    revision: 1,
    revises: { revision: 0, status: 'accepted', code: 'ACCEPTED', caused_by: 'crm-7f3a2e' },
    replay: false,
  },
  error: {
    event_id: 'derived:46303ac3b9e810022c8f959bdc5e46cd4a90cfcb743f7bc8e785b64932bd727c', // the id of its position: the value carries no event_id
    status: 'error',
    code: 'VALIDATION_ERROR',
    message: 'The event is not valid: date: must be a real calendar date in the form YYYY-MM-DD.',
    duplicate: false,
    event: null,
    error: {
      code: 'VALIDATION_ERROR',
      message: 'The event is not valid: date: must be a real calendar date in the form YYYY-MM-DD.',
      details: {
        issues: [{ code: 'custom', path: ['date'], message: 'must be a real calendar date in the form YYYY-MM-DD' }],
        raw: '{"type":"supply_energy_start","contract_number":"1234","date":"2024-02-30","created_at":"2024-11-20T10:00:00Z"}',
        raw_truncated: false,
      },
    },
    source: { transport: 'kafka', topic: 'contract-events', partition: 1, offset: '7' },
    processed_at: '2026-01-01T00:00:00.000000Z',
    revision: 0,
    revises: null,
    replay: false,
  },
};

export function buildAsyncApiDocument(): JsonObject {
  const contractNumberKey = {
    type: 'string',
    description: 'The contract_number, so one contract keeps one partition and its order.',
  };
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Contract events service',
      version: '0.1.0',
      description: [
        'Component lifecycle events of utility contracts in, one outcome per consumed message out.',
        '',
        'Delivery guarantees:',
        '- Every consumed message gets an outcome published, also across crashes, restarts, rebalances and outages.',
        '- Exactly one outcome per consumed message for consumers reading with `isolation.level=read_committed`: outcomes and consumed offsets commit in one Kafka transaction, after the database transaction that recorded the decisions (OUTCOME_DELIVERY=transactional, the default). With OUTCOME_DELIVERY=at-least-once a crash can answer a message twice, with identical outcomes.',
        "- An event's effect on state happens exactly once. A redelivered message (same topic, partition, offset) is answered exactly as the first time (`duplicate: false`, same processed_at); a re-sent event (same event_id, same content, another message) is answered with the decision standing for it and `duplicate: true`.",
        '- The same event_id with other content is answered `status: error`, `code: EVENT_ID_CONFLICT` and changes nothing.',
        "- An event without event_id is identified by its content: `derived:` and a SHA-256 (see the outcome's `event_id`). No producer's event_id may start with `derived:`, so none can take the id of a later event.",
        '- Events decided over HTTP (`POST /events`) are published too, exactly once, with `source.transport: http`.',
        "- A chunk's outcomes are published in requests that fit the outcome topic's max.message.bytes; an outcome too large even alone is published in compact form (`error.details.truncated: true`).",
        '- EVENT_ORDER=arrival (default): events of one contract are decided in the order they were consumed.',
        "- EVENT_ORDER=created_at: a component's state is the fold of its events in created_at order (ties by event_id, by code point). " +
          'A late event is decided in that order, and every earlier event whose decision it changes gets a revision outcome: ' +
          'same event_id and source, the new status, code and message, `revision` counting up and `revises` naming the decision replaced and the late event (`caused_by`). ' +
          'Revision outcomes follow the outcomes of the chunk that caused them, in the same transaction; they answer no new message.',
        '- `replay: true` marks outcomes re-published by `npm run replay -- --republish` for a downstream that lost data: the current decision of each event, with its original source.',
        '- Every outcome is also a CloudEvent in the binary content mode of the CloudEvents Kafka protocol binding: the value is the data, ' +
          'the `ce_*` headers its attributes (`ce_type` per status, `ce_id` the same on every copy of an outcome), so CloudEvents SDKs read it as it is.',
        '- Topic names are defaults; every name is configurable (EVENTS_TOPIC, OUTCOMES_TOPIC).',
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:9092',
        protocol: 'kafka',
        description: 'The broker `npm run dev` / `npm run infra:up` starts.',
      },
    },
    channels: {
      contractEvents: {
        address: 'contract-events',
        description: 'Input: one JSON event per message, keyed by contract_number.',
        messages: { contractEvent: { $ref: '#/components/messages/ContractEvent' } },
      },
      contractEventOutcomes: {
        address: 'contract-event-outcomes',
        description: 'Output: one outcome per consumed message.',
        messages: { eventOutcome: { $ref: '#/components/messages/EventOutcome' } },
      },
    },
    operations: {
      consumeContractEvents: {
        action: 'receive',
        channel: { $ref: '#/channels/contractEvents' },
        summary: 'The service consumes events (consumer group KAFKA_GROUP_ID, default contract-events-service).',
        messages: [{ $ref: '#/channels/contractEvents/messages/contractEvent' }],
      },
      publishEventOutcomes: {
        action: 'send',
        channel: { $ref: '#/channels/contractEventOutcomes' },
        summary:
          'The service publishes the outcome of every consumed message and of every event decided over HTTP, in Kafka transactions (read with read_committed).',
        messages: [{ $ref: '#/channels/contractEventOutcomes/messages/eventOutcome' }],
      },
    },
    components: {
      messages: {
        ContractEvent: {
          name: 'ContractEvent',
          title: 'Contract component event',
          contentType: 'application/json',
          payload: { $ref: '#/components/schemas/ContractEvent' },
          bindings: { kafka: { key: contractNumberKey, bindingVersion: '0.5.0' } },
          examples: [{ name: 'start', summary: 'Sent with key 1234', payload: example.event }],
        },
        EventOutcome: {
          name: 'EventOutcome',
          title: 'Outcome of one consumed message',
          contentType: 'application/json',
          headers: { $ref: '#/components/schemas/OutcomeHeaders' },
          payload: { $ref: '#/components/schemas/EventOutcome' },
          bindings: {
            kafka: {
              key: {
                type: 'string',
                description:
                  "The event's contract_number. For input that was not a valid event, the input message's own key (as UTF-8 text); " +
                  "when it had none (or an empty one, or bytes that are not UTF-8), the id derived from the message's position " +
                  "(64 hex digits, also the outcome's event_id when the value carried no valid event_id), the same on every copy. " +
                  'Outcomes re-published with `replay: true` carry that position id for such input (the input key is not stored). ' +
                  'Every outcome has a key, so the topic may be compacted (cleanup.policy=compact); compaction then keeps only the latest outcome per key.',
              },
              bindingVersion: '0.5.0',
            },
          },
          examples: [
            { name: 'accepted', headers: headersOf(example.accepted), payload: example.accepted },
            { name: 'validationError', headers: headersOf(example.error), payload: example.error },
            {
              name: 'revision',
              summary:
                'EVENT_ORDER=created_at: an end created before this start arrived late, so the start is now after the end',
              headers: headersOf(example.revision),
              payload: example.revision,
            },
          ],
        },
      },
      schemas: componentSchemas([
        { schema: contractEventSchema, io: 'input' },
        { schema: outcomeMessageSchema, io: 'output' },
        { schema: outcomeHeadersSchema, io: 'output' },
      ]),
    },
  };
}

export function renderAsyncApi(): string {
  return `# Generated from the zod schemas by \`npm run docs:asyncapi\`; do not edit by hand.\n${stringify(buildAsyncApiDocument(), { lineWidth: 0 })}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(ASYNCAPI_PATH, renderAsyncApi());
  console.log(`Wrote ${ASYNCAPI_PATH}`);
}
