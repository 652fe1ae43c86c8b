import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { BEARER_SCHEME } from './auth.js';
import { SERVICE_VERSION } from '../version.js';

type TransformObject = typeof jsonSchemaTransformObject;
type Transform = typeof jsonSchemaTransform;
type MediaTypes = Record<string, { schema?: unknown; examples?: unknown }>;

/**
 * The zod transform keeps only the schema of each response's media type: the
 * examples `errorResponses` gives (one per catalogue code a status answers) are put back.
 */
const withResponseExamples: Transform = (input) => {
  const output = jsonSchemaTransform(input);
  const given = input.schema.response as Record<string, { content?: MediaTypes }> | undefined;
  const transformed = output.schema.response as Record<string, { content?: MediaTypes }> | undefined;
  for (const [status, response] of Object.entries(given ?? {})) {
    for (const [type, media] of Object.entries(response.content ?? {})) {
      const target = transformed?.[status]?.content?.[type];
      if (media.examples !== undefined && target) target.examples = media.examples;
    }
  }
  return output;
};

/**
 * Keeps only the component schemas the paths reach: the zod registry holds
 * every schema with an id (Kafka ones too), each in an input and an output form.
 */
const reachableComponentsOnly: TransformObject = (document) => {
  const openapi = jsonSchemaTransformObject(document) as {
    paths?: unknown;
    components?: { schemas?: Record<string, unknown> };
  };
  const schemas = openapi.components?.schemas ?? {};
  const reached = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      const name = key === '$ref' && typeof value === 'string' ? value.replace('#/components/schemas/', '') : undefined;
      if (name !== undefined && !reached.has(name)) {
        reached.add(name);
        visit(schemas[name]);
      } else visit(value);
    }
  };
  visit(openapi.paths);
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => reached.has(name)));
  return { ...openapi, components: { ...openapi.components, schemas: kept } } as ReturnType<TransformObject>;
};

const bearerScheme = {
  type: 'http',
  scheme: 'bearer',
  description:
    'API_TOKEN for every route that changes state; API_READ_TOKEN or API_TOKEN for reads where they ask for a token ' +
    '(API_READ_TOKEN set, or the API listening beyond loopback without ALLOW_ANONYMOUS_READS).',
} as const;

/**
 * OpenAPI 3.1 from the routes' zod schemas at `/docs/json`, and swagger-ui at
 * `/docs`. Both stay open, so the page loads and takes a token (Authorize);
 * the document shows a token only where this instance asks for one.
 */
export async function registerOpenApi(app: FastifyInstance, options: { bearerAuth: boolean }): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Contract events service',
        version: SERVICE_VERSION,
        description:
          'Timelines, contract administration, audited events, synchronous event decisions, health and metrics. ' +
          'Every non-2xx answer is an `ErrorResponse`. Paths under `/contract` are aliases kept for clients of the earlier service.',
      },
      tags: [
        {
          name: 'contracts',
          description: 'Contracts, their component timelines, audited events and history (deleted contracts included)',
        },
        { name: 'events', description: 'Deciding events over HTTP' },
        { name: 'operations', description: 'Health and metrics' },
      ],
      ...(options.bearerAuth && { components: { securitySchemes: { [BEARER_SCHEME]: bearerScheme } } }),
    },
    transform: withResponseExamples,
    transformObject: reachableComponentsOnly,
  });
  // swagger-ui's assets are served from the package; no validator badge, so the page never calls out.
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    // The token entered with Authorize survives a reload of the page.
    uiConfig: { docExpansion: 'list', deepLinking: true, displayRequestDuration: true, persistAuthorization: true },
  });
}
