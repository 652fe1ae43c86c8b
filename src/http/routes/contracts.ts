import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { buildTimeline } from '../../domain/timeline.js';
import { parseInstant } from '../../domain/timestamp.js';
import type { ContractRecord, ContractRepository } from '../../store/contracts.js';
import { contractParamsSchema, contractSchema, createContractSchema, timelineSchema } from '../../schemas/contract.js';
import { credentialOf } from '../credential.js';
import { CONTRACT_LOOKUP_ERRORS, errorResponses, JSON_BODY_ERRORS } from '../error-responses.js';
import { contractNotFound, HttpError } from '../errors.js';
import { HttpErrorCode } from '../../schemas/http-error-catalogue.js';

/** Contract administration and timelines, under `/contracts` and the earlier service's `/contract` paths. */
export function registerContractRoutes(app: FastifyInstance, contracts: ContractRepository): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['contracts'];

  for (const path of ['/contracts', '/contract']) {
    const alias = path === '/contract';
    routes.post(path, {
      config: { access: 'write' },
      schema: {
        tags,
        summary: alias ? 'Create a contract (alias of POST /contracts)' : 'Create a contract',
        deprecated: alias,
        body: createContractSchema,
        response: {
          201: contractSchema,
          ...errorResponses(HttpErrorCode.CONTRACT_EXISTS, HttpErrorCode.SERVICE_UNAVAILABLE, ...JSON_BODY_ERRORS),
        },
      },
      handler: async (request, reply) => {
        const { contract_number: contractNumber, components, created_at: createdAt } = request.body;
        const created = await contracts.create({
          contractNumber,
          components,
          createdAt: createdAt === undefined ? undefined : parseInstant(createdAt),
        });
        if (!created) throw new HttpError(HttpErrorCode.CONTRACT_EXISTS, `Contract ${contractNumber} already exists.`);
        return reply.code(201).send(contractBody(created));
      },
    });

    routes.get(`${path}/:contract_number`, {
      config: { access: 'read' },
      schema: {
        tags,
        summary: alias ? 'Read a contract (alias)' : 'Read a contract',
        deprecated: alias,
        params: contractParamsSchema,
        response: { 200: contractSchema, ...errorResponses(...CONTRACT_LOOKUP_ERRORS) },
      },
      handler: async (request) => {
        const found = await contracts.find(request.params.contract_number);
        if (!found) throw contractNotFound(request.params.contract_number);
        return contractBody(found);
      },
    });

    routes.delete(`${path}/:contract_number`, {
      config: { access: 'write' },
      schema: {
        tags,
        summary: alias ? 'Delete a contract (alias)' : 'Delete a contract; its history stays readable',
        description:
          'The contract then answers 404 and its new events `CONTRACT_NOT_FOUND`. The deletion is recorded: when (`deleted_at`) and ' +
          'by which credential (`deleted_by`: `api-token:` and the first 12 hex digits of the SHA-256 of the token used, or ' +
          '`anonymous` without API_TOKEN). The contract and its audited events stay readable at ' +
          '`GET /contracts/{contract_number}/history` and `GET /contracts/{contract_number}/events?incarnation=<id>`. ' +
          'Creating the number again starts a new contract with an empty timeline.',
        deprecated: alias,
        params: contractParamsSchema,
        response: { 204: z.null().meta({ description: 'Deleted' }), ...errorResponses(...CONTRACT_LOOKUP_ERRORS) },
      },
      handler: async (request, reply) => {
        const { contract_number: contractNumber } = request.params;
        const deletedBy = credentialOf(request);
        if (!(await contracts.delete(contractNumber, deletedBy))) throw contractNotFound(contractNumber);
        request.log.info({ contract_number: contractNumber, deleted_by: deletedBy }, 'contract deleted');
        return reply.code(204).send(null);
      },
    });

    routes.get(alias ? `${path}/:contract_number/contract_timeline` : `${path}/:contract_number/timeline`, {
      config: { access: 'read' },
      schema: {
        tags,
        summary: alias ? 'Timeline of a contract (alias)' : "Timeline of a contract's components",
        deprecated: alias,
        params: contractParamsSchema,
        response: { 200: timelineSchema, ...errorResponses(...CONTRACT_LOOKUP_ERRORS) },
      },
      handler: async (request) => {
        const contract = await contracts.findWithStates(request.params.contract_number);
        if (!contract) throw contractNotFound(request.params.contract_number);
        return buildTimeline(contract);
      },
    });
  }
}

/** A stored contract as the API shows it. */
function contractBody(contract: ContractRecord): z.infer<typeof contractSchema> {
  return { contract_number: contract.contractNumber, components: contract.components, created_at: contract.createdAt };
}
