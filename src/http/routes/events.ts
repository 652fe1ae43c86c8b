import type { Tracer } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createDecisionHooks } from '../../observability/decision-hooks.js';
import { inDecideSpan } from '../../observability/spans.js';
import { carriedTraceHeaders, outcomeTraceContext, traceparentOf } from '../../observability/trace-context.js';
import type { Metrics } from '../../observability/metrics.js';
import type { BatchDecider } from '../../processing/decide-batch.js';
import { validMessage } from '../../processing/decode-message.js';
import { outcomeIdentity } from '../../processing/outcome.js';
import { contractEventSchema, decidedEventIdSchema } from '../../schemas/event.js';
import { EVENT_ID_CONFLICT, outcomeCodeSchema, outcomeStatusSchema } from '../../schemas/outcome.js';
import { errorResponses, JSON_BODY_ERRORS } from '../error-responses.js';
import { HttpError } from '../errors.js';
import { HttpErrorCode } from '../../schemas/http-error-catalogue.js';
import { sharedRateLimit, type RateLimit } from '../rate-limit.js';
import { requestSpan } from '../request-spans.js';

export const eventDecisionSchema = z
  .object({
    status: outcomeStatusSchema,
    code: outcomeCodeSchema,
    message: z.string(),
    event_id: decidedEventIdSchema,
    duplicate: z.boolean(),
    revision: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Which decision of the event this is (0: the first; EVENT_ORDER=created_at revises).' }),
  })
  .meta({
    id: 'EventDecision',
    description: 'The decision, as the outcome topic would carry it.',
    example: {
      status: 'rejected',
      code: 'RESTART_AFTER_END',
      message: 'Start event that comes after the end event should be rejected.',
      event_id: 'crm-7f3a2c',
      duplicate: false,
      revision: 0,
    },
  });

/**
 * Decides one event synchronously through the consumer's own use case. Its
 * outcome goes to the outbox in the same transaction, and from there to the
 * outcome topic, so downstream sees decisions made over HTTP too.
 */
export interface EventRouteDependencies {
  decideBatch: BatchDecider;
  metrics: Metrics;
  /** Called once a decision is committed, so the outbox relay publishes its outcome soon. */
  onDecided: () => void;
  tracer: Tracer;
  rateLimit?: RateLimit;
}

export function registerEventRoutes(
  app: FastifyInstance,
  { decideBatch, metrics, onDecided, tracer, rateLimit }: EventRouteDependencies,
): void {
  const limitRequests = sharedRateLimit(app, rateLimit);
  for (const path of ['/events', '/event']) {
    const alias = path === '/event';
    app.withTypeProvider<ZodTypeProvider>().post(path, {
      config: { access: 'write' },
      ...(limitRequests && { onRequest: limitRequests }),
      schema: {
        tags: ['events'],
        summary: alias
          ? 'Decide one event (alias of POST /events)'
          : 'Decide one event now, with the same rules, transaction and idempotency as the consumer',
        description:
          'The outcome is also published on the outcome topic (exactly once, after the transaction commits), with `source: { transport: "http", request_id }`; ' +
          "its `traceparent` continues the request's W3C `traceparent` header when it has a valid one. " +
          'An event already decided is answered with the decision standing for it and `duplicate: true`; ' +
          'its event_id with other content is refused with 409 EVENT_ID_CONFLICT and changes nothing.',
        deprecated: alias,
        body: contractEventSchema,
        response: {
          200: eventDecisionSchema,
          ...errorResponses(
            HttpErrorCode.EVENT_ID_CONFLICT,
            HttpErrorCode.RATE_LIMITED,
            HttpErrorCode.SERVICE_UNAVAILABLE,
            ...JSON_BODY_ERRORS,
          ),
        },
      },
      handler: async (request) => {
        const message = validMessage(request.body, { transport: 'http', request_id: request.id });
        // The outcome message continues the caller's trace, as one answering a Kafka message does (or the request span's).
        const span = requestSpan(request);
        const trace =
          carriedTraceHeaders({ traceparent: request.headers.traceparent, tracestate: request.headers.tracestate }) ??
          (span && traceparentOf(span.spanContext()));
        const hooks = createDecisionHooks({
          logger: request.log,
          metrics,
          source: 'http',
          traceDeciding: (work) => (span ? inDecideSpan(tracer, span, work) : work()),
        });
        const outcomes = await hooks.deciding(() => decideBatch([message], { outbox: true, trace }));
        onDecided();
        const outcome = outcomes[0];
        if (!outcome) throw new Error('The decider returned no outcome for one event.');
        hooks.answered(
          outcomes.map((decided) => ({
            ...decided,
            trace: outcomeTraceContext(outcomeIdentity(decided.message), trace),
          })),
        );
        if (outcome.message.code === EVENT_ID_CONFLICT) {
          throw new HttpError(HttpErrorCode.EVENT_ID_CONFLICT, outcome.message.message, outcome.message.error?.details);
        }
        const { status, code, message: text, duplicate, revision } = outcome.message;
        return { status, code, message: text, event_id: message.eventId, duplicate, revision };
      },
    });
  }
}
