import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { auditPageQuerySchema, auditPageSchema } from '../../schemas/audit.js';
import { contractParamsSchema } from '../../schemas/contract.js';
import { encodeCursor } from '../../schemas/page-cursor.js';
import type { AuditLog } from '../../store/audit-log.js';
import { CONTRACT_LOOKUP_ERRORS, errorResponses } from '../error-responses.js';
import { HttpError } from '../errors.js';
import { HttpErrorCode } from '../../schemas/http-error-catalogue.js';

/** A contract's audited events with their decisions, oldest first, a page at a time. */
export function registerContractEventRoutes(app: FastifyInstance, auditLog: AuditLog): void {
  app.withTypeProvider<ZodTypeProvider>().get('/contracts/:contract_number/events', {
    config: { access: 'read' },
    schema: {
      tags: ['contracts'],
      summary: "A contract's audited events with their current decisions, oldest first",
      description:
        "Cursor pagination: pass the previous page's `next_cursor` as `?cursor=` until it is null. " +
        'Lists the live contract; a deleted contract keeps its events, listed with `?incarnation=` ' +
        '(the ids are in `GET /contracts/{contract_number}/history`).',
      params: contractParamsSchema,
      querystring: auditPageQuerySchema,
      response: { 200: auditPageSchema, ...errorResponses(...CONTRACT_LOOKUP_ERRORS) },
    },
    handler: async (request) => {
      const { contract_number: contractNumber } = request.params;
      const { limit, cursor, incarnation } = request.query;
      const page = await auditLog.contractEvents(contractNumber, {
        limit,
        ...(cursor && { after: cursor }),
        ...(incarnation && { incarnation }),
      });
      if (!page) throw notFound(contractNumber, incarnation);
      return {
        contract_number: contractNumber,
        incarnation: page.incarnation,
        events: page.events,
        next_cursor: page.next && encodeCursor(page.next),
      };
    },
  });
}

/** Points at the history, where deleted contracts' events are found. */
function notFound(contractNumber: string, incarnation: string | undefined): HttpError {
  const history = `/contracts/${contractNumber}/history`;
  const message =
    incarnation === undefined
      ? `Contract ${contractNumber} not found. The events of a deleted contract stay listed by incarnation: see ${history}.`
      : `Contract ${contractNumber} has no incarnation ${incarnation}; its incarnations are listed at ${history}.`;
  return new HttpError(HttpErrorCode.CONTRACT_NOT_FOUND, message);
}
