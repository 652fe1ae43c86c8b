import { z } from 'zod';
import { componentTypeSchema } from './contract.js';

/** The id of one incarnation of a contract number (its contract row), as decimal text. */
export const incarnationIdSchema = z
  .string()
  .regex(/^[1-9]\d{0,17}$/, 'must be an incarnation id from GET /contracts/{contract_number}/history')
  .meta({
    description: 'An incarnation of the contract number, as listed by `GET /contracts/{contract_number}/history`.',
    example: '42',
  });

const instant = (example: string) => z.string().meta({ format: 'date-time', example });

/** A contract as it was created, and, once deleted, when and by whom. */
export const incarnationSchema = z
  .object({
    incarnation: incarnationIdSchema,
    components: z.array(componentTypeSchema),
    created_at: instant('2024-11-20T10:15:30.123456Z'),
    deleted_at: instant('2026-02-01T09:00:00.000000Z')
      .nullable()
      .meta({ description: 'When it was deleted; null while it is live.' }),
    deleted_by: z
      .string()
      .nullable()
      .meta({
        description:
          'The credential that deleted it: `api-token:` and the first 12 hex digits of the SHA-256 of the token used, ' +
          'or `anonymous` when no API token was configured.',
        example: 'api-token:3f9a1c0b7d2e',
      }),
  })
  .meta({
    id: 'ContractIncarnation',
    description: 'One contract created under the number: live, or deleted with when and by whom.',
  });

export type ContractIncarnation = z.infer<typeof incarnationSchema>;

export const contractHistorySchema = z
  .object({
    contract_number: z.string(),
    incarnations: z.array(incarnationSchema),
  })
  .meta({
    id: 'ContractHistory',
    description: 'Every contract created under this number, oldest first; at most one is live (deleted_at null).',
    example: {
      contract_number: '1234',
      incarnations: [
        {
          incarnation: '42',
          components: ['energy_supply', 'battery_optimization'],
          created_at: '2024-11-20T10:15:30.123456Z',
          deleted_at: '2026-02-01T09:00:00.000000Z',
          deleted_by: 'api-token:3f9a1c0b7d2e',
        },
        {
          incarnation: '97',
          components: ['energy_supply'],
          created_at: '2026-02-02T08:00:00.000000Z',
          deleted_at: null,
          deleted_by: null,
        },
      ],
    },
  });
