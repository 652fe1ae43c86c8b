import { z } from 'zod';
import { COMPONENT_TYPES } from '../domain/catalogue.js';
import { contractNumberSchema, instantSchema } from './event.js';

export const componentTypeSchema = z.enum(COMPONENT_TYPES);

export const createContractSchema = z
  .object({
    contract_number: contractNumberSchema,
    components: z
      .array(componentTypeSchema)
      .min(1, 'must name at least one component')
      .refine((components) => new Set(components).size === components.length, 'must not repeat a component')
      .meta({ example: ['energy_supply', 'battery_optimization', 'heatpump_optimization'] }),
    created_at: instantSchema.optional().meta({ description: 'When the contract was created; defaults to now.' }),
  })
  .meta({
    id: 'CreateContract',
    description: 'A new contract and the components it is configured for.',
    example: {
      contract_number: '1234',
      components: ['energy_supply', 'battery_optimization', 'heatpump_optimization'],
    },
  });

export const contractSchema = z
  .object({
    contract_number: z.string(),
    components: z.array(componentTypeSchema),
    created_at: z.string().meta({ format: 'date-time', example: '2024-11-20T10:15:30.123456Z' }),
  })
  .meta({
    id: 'Contract',
    description: 'A contract.',
    example: {
      contract_number: '1234',
      components: ['energy_supply', 'battery_optimization'],
      created_at: '2024-11-20T10:15:30.123456Z',
    },
  });

export const contractParamsSchema = z.object({ contract_number: contractNumberSchema });

const componentTimelineSchema = z.object({
  start: z.string().nullable().meta({ format: 'date', example: '2024-12-01' }),
  end: z.string().nullable().meta({ format: 'date', example: '2024-12-31' }),
});

export const timelineSchema = z
  .object({
    contract_number: z.string(),
    components: z.partialRecord(componentTypeSchema, componentTimelineSchema),
  })
  .meta({
    id: 'Timeline',
    description: 'Start and end date of every configured component; null while unset.',
    example: {
      contract_number: '1234',
      components: {
        energy_supply: { start: '2024-12-01', end: '2024-12-31' },
        battery_optimization: { start: '2024-03-03', end: null },
      },
    },
  });

export type CreateContractInput = z.infer<typeof createContractSchema>;
