import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { auditPageQuerySchema, auditPageSchema } from '../../schemas/audit.js';
import { contractParamsSchema } from '../../schemas/contract.js';
import { encodeCursor } from '../../schemas/page-cursor.js';
import type { AuditLog } from '../../store/audit-log.js';
import { errorResponses } from '../error-responses.js';
import { contractNotFound } from '../errors.js';

/** A contract's audited events with their decisions, oldest first, a page at a time. */
export function registerContractEventRoutes(app: FastifyInstance, auditLog: AuditLog): void {
  app.withTypeProvider<ZodTypeProvider>().get('/contracts/:contract_number/events', {
    config: { access: 'read' },
    schema: {
      tags: ['contracts'],
      summary: "A contract's audited events with their decisions, oldest first",
      description: 'Cursor pagination: pass the previous page\'s `next_cursor` as `?cursor=` until it is null.',
      params: contractParamsSchema,
      querystring: auditPageQuerySchema,
      response: { 200: auditPageSchema, ...errorResponses(404, 422, 503) },
    },
    handler: async (request) => {
      const { contract_number: contractNumber } = request.params;
      const { limit, cursor } = request.query;
      const page = await auditLog.contractEvents(contractNumber, { limit, ...(cursor && { after: cursor }) });
      if (!page) throw contractNotFound(contractNumber);
      return { contract_number: contractNumber, events: page.events, next_cursor: page.next && encodeCursor(page.next) };
    },
  });
}
