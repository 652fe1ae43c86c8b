import { describe, expect, it } from 'vitest';
import { decodeMessage, validMessage } from '../../../src/processing/decode-message.js';
import type { ContractEventInput } from '../../../src/schemas/event.js';
import type { SourcePosition } from '../../../src/schemas/outcome.js';

// The id of an event sent without `event_id` is `derived:` and the sha256 over
//   type \n contract_number \n date \n created_at
// with created_at normalised to UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`, as hex.
// The expected digests below were computed OUTSIDE this code base, in a shell:
//   printf '%s\n%s\n%s\n%s' supply_energy_start 1234 2024-12-01 2024-11-20T09:00:00.123456Z | sha256sum
// (and cross-checked with Python's hashlib). They must never be recomputed
// with production code, or a bug in the recipe would be copied into the test.

const SUPPLY_START_1234 = 'derived:69ed9f10704b59418011902246ed5dbcf84e0b71958bc38ca71d18088082459e';
// supply_energy_start 1234 2024-12-01 2024-11-20T09:00:00.500000Z
const SUPPLY_START_1234_HALF_SECOND = 'derived:d00ca73d01bbd82afd25139b49cf5695c7350e724539546edfea4cce8447af64';
// supply_energy_end 1234 2024-12-01 2024-11-20T09:00:00.123456Z (differs from the first only in type)
const SUPPLY_END_1234 = 'derived:0f18c2c88a33016f91c3d991af820b9523f15fefe8022b13c80dbea6be000e18';
// battery_optimization_start K-7/ä 2024-02-29 2024-11-20T09:00:00.120000Z (UTF-8 bytes of the contract number)
const BATTERY_START_K7 = 'derived:007cc593e901e9af05cc2e119b3176f659923e1646abe2a478919198ec807fe1';
// heatpump_optimization_end 1234 2025-04-04 2025-01-01T00:00:00.000000Z
const HEATPUMP_END_1234 = 'derived:df8de88946954bbbfd1356f8dd8668ebc1328dadc4c948558502745c73ccfc6d';

type Fields = Omit<ContractEventInput, 'event_id'>;

// Built apart from the literal, so an added field of the type needs one change here.
const position = { transport: 'kafka', topic: 'contract-events', partition: 0, offset: '7' } as const;
const source: SourcePosition = position;

/** The id the Kafka path gives a message carrying these fields. */
function consumedId(fields: Fields): string {
  const decoded = decodeMessage({
    key: Buffer.from(fields.contract_number),
    value: Buffer.from(JSON.stringify(fields)),
    source,
  });
  if (decoded.kind !== 'valid')
    throw new Error(`expected a valid event, got ${decoded.code}: ${decoded.error.message}`);
  return decoded.eventId;
}

/** The id validMessage, the way POST /events turns its body into a message, gives the same fields (the source plays no part). */
const postedId = (fields: Fields): string => validMessage(fields, source).eventId;

const cases: [string, Fields, string][] = [
  [
    'UTC with six fractional digits',
    {
      type: 'supply_energy_start',
      contract_number: '1234',
      date: '2024-12-01',
      created_at: '2024-11-20T09:00:00.123456Z',
    },
    SUPPLY_START_1234,
  ],
  [
    'a +01:00 offset',
    {
      type: 'supply_energy_start',
      contract_number: '1234',
      date: '2024-12-01',
      created_at: '2024-11-20T10:00:00.123456+01:00',
    },
    SUPPLY_START_1234,
  ],
  [
    'one fractional digit and an offset',
    {
      type: 'supply_energy_start',
      contract_number: '1234',
      date: '2024-12-01',
      created_at: '2024-11-20T10:00:00.5+01:00',
    },
    SUPPLY_START_1234_HALF_SECOND,
  ],
  [
    'one fractional digit in UTC',
    { type: 'supply_energy_start', contract_number: '1234', date: '2024-12-01', created_at: '2024-11-20T09:00:00.5Z' },
    SUPPLY_START_1234_HALF_SECOND,
  ],
  [
    'an end that differs from the start only in type',
    {
      type: 'supply_energy_end',
      contract_number: '1234',
      date: '2024-12-01',
      created_at: '2024-11-20T09:00:00.123456Z',
    },
    SUPPLY_END_1234,
  ],
  [
    'a negative half-hour offset crossing midnight, two fractional digits, a non-ASCII contract',
    {
      type: 'battery_optimization_start',
      contract_number: 'K-7/ä',
      date: '2024-02-29',
      created_at: '2024-11-19T23:30:00.12-09:30',
    },
    BATTERY_START_K7,
  ],
  [
    'no seconds and an offset crossing into the next year',
    {
      type: 'heatpump_optimization_end',
      contract_number: '1234',
      date: '2025-04-04',
      created_at: '2024-12-31T19:00-05:00',
    },
    HEATPUMP_END_1234,
  ],
  [
    'no offset, which means UTC',
    {
      type: 'heatpump_optimization_end',
      contract_number: '1234',
      date: '2025-04-04',
      created_at: '2025-01-01T00:00:00',
    },
    HEATPUMP_END_1234,
  ],
];

describe('the id derived for an event sent without event_id', () => {
  it.each(cases)('matches the independently computed digest: %s', (_name, fields, expected) => {
    expect(consumedId(fields)).toBe(expected);
    expect(postedId(fields)).toBe(expected);
  });

  it('differs for two events that differ only in type', () => {
    const fields: Fields = {
      type: 'supply_energy_start',
      contract_number: '1234',
      date: '2024-12-01',
      created_at: '2024-11-20T09:00:00.123456Z',
    };
    const ids = new Set(
      (
        [
          'supply_energy_start',
          'supply_energy_end',
          'battery_optimization_start',
          'battery_optimization_end',
          'heatpump_optimization_start',
          'heatpump_optimization_end',
        ] as const
      ).map((type) => consumedId({ ...fields, type })),
    );
    expect(ids.size).toBe(6);
  });

  it('differs for two events that differ only in contract, date or created_at', () => {
    const fields: Fields = {
      type: 'supply_energy_start',
      contract_number: '1234',
      date: '2024-12-01',
      created_at: '2024-11-20T09:00:00.123456Z',
    };
    const ids = [
      consumedId(fields),
      consumedId({ ...fields, contract_number: '12345' }),
      consumedId({ ...fields, date: '2024-12-02' }),
      consumedId({ ...fields, created_at: '2024-11-20T09:00:00.123457Z' }),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });
});
