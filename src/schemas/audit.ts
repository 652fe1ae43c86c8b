import { z } from 'zod';
import { ACTIONS, EVENT_TYPES } from '../domain/catalogue.js';
import { componentTypeSchema } from './contract.js';
import { decidedEventIdSchema } from './event.js';
import { incarnationIdSchema } from './contract-history.js';
import { outcomeCodeSchema, outcomeStatusSchema, sourcePositionSchema } from './outcome.js';
import { pageCursorSchema } from './page-cursor.js';

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;

export const auditPageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(AUDIT_PAGE_MAX)
    .default(AUDIT_PAGE_DEFAULT)
    .meta({ description: `Events per page, 1–${AUDIT_PAGE_MAX}.`, example: 50 }),
  cursor: pageCursorSchema.optional(),
  incarnation: incarnationIdSchema.optional().meta({
    description: 'List this incarnation of the number, live or deleted (see `/history`); default: the live contract.',
    example: '42',
  }),
});

const instant = (example: string) => z.string().meta({ format: 'date-time', example });

/** One audited event of a contract with its current decision. */
export const auditedEventSchema = z
  .object({
    event_id: decidedEventIdSchema,
    type: z.enum(EVENT_TYPES),
    component: componentTypeSchema,
    action: z.enum(ACTIONS),
    date: z.string().meta({ format: 'date', example: '2024-12-01' }),
    created_at: instant('2024-11-20T10:00:00.000000Z'),
    status: outcomeStatusSchema,
    code: outcomeCodeSchema,
    message: z.string(),
    revision: z.number().int().min(0).meta({
      description:
        'How often the decision was revised since the event was first decided (0: never); status, code and message are the current one.',
      example: 0,
    }),
    source: sourcePositionSchema
      .nullable()
      .meta({ description: 'Kafka position of the event; null when it came over HTTP.' }),
    processed_at: instant('2026-01-01T00:00:00.000000Z').meta({ description: 'When the event was first decided.' }),
  })
  .meta({ id: 'AuditedEvent' });

export type AuditedEvent = z.infer<typeof auditedEventSchema>;

export const auditPageSchema = z
  .object({
    contract_number: z.string(),
    incarnation: incarnationIdSchema.meta({ description: 'The incarnation of the number whose events these are.' }),
    events: z.array(auditedEventSchema),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `?cursor=` for the next page; null on the last page.' }),
  })
  .meta({
    id: 'ContractEventsPage',
    description: "A page of the contract's audited events, oldest first (by created_at, then arrival).",
    example: {
      contract_number: '1234',
      incarnation: '42',
      events: [
        {
          event_id: 'crm-7f3a2c',
          type: 'supply_energy_start',
          component: 'energy_supply',
          action: 'start',
          date: '2024-12-01',
          created_at: '2024-11-20T10:00:00.000000Z',
          status: 'accepted',
          code: 'ACCEPTED',
          message: 'Event processed successfully.',
          revision: 0,
          source: { topic: 'contract-events', partition: 0, offset: '42' },
          processed_at: '2026-01-01T00:00:00.000000Z',
        },
      ],
      next_cursor: 'WyIyMDI0LTExLTIwVDEwOjAwOjAwLjAwMDAwMFoiLCI0MiJd',
    },
  });
