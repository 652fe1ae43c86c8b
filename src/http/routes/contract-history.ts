import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { contractParamsSchema } from '../../schemas/contract.js';
import { contractHistorySchema } from '../../schemas/contract-history.js';
import type { AuditLog } from '../../store/audit-log.js';
import { CONTRACT_LOOKUP_ERRORS, errorResponses } from '../error-responses.js';
import { contractNotFound } from '../errors.js';

/** Every contract created under a number, deleted ones included: where history stays readable after a deletion. */
export function registerContractHistoryRoutes(app: FastifyInstance, auditLog: AuditLog): void {
  app.withTypeProvider<ZodTypeProvider>().get('/contracts/:contract_number/history', {
    config: { access: 'read' },
    schema: {
      tags: ['contracts'],
      summary: 'Every contract created under this number, deleted ones included, oldest first',
      description:
        'Each incarnation is one contract created under the number; a deleted one shows when (`deleted_at`) and by which ' +
        'credential (`deleted_by`). Its audited events stay readable at `GET /contracts/{contract_number}/events?incarnation=<id>`. ' +
        '404 only when the number was never used.',
      params: contractParamsSchema,
      response: { 200: contractHistorySchema, ...errorResponses(...CONTRACT_LOOKUP_ERRORS) },
    },
    handler: async (request) => {
      const { contract_number: contractNumber } = request.params;
      const incarnations = await auditLog.contractHistory(contractNumber);
      if (incarnations.length === 0) throw contractNotFound(contractNumber);
      return { contract_number: contractNumber, incarnations };
    },
  });
}
