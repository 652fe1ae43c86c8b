import { ROOT_CONTEXT, SpanKind, type Link, type Span, type Tracer } from '@opentelemetry/api';
import { endAfter, inChildSpan, inDecideSpan, messageOf } from '../observability/spans.js';
import type { OutcomeStatus } from '../schemas/outcome.js';
import { headerText } from './header-text.js';
import type { InboundMessage } from './port.js';
import { remoteSpanContext } from '../observability/trace-context.js';

// One OpenTelemetry span per consumed chunk, as the messaging conventions
// model batch processing: a `process` span of its own, linked to the
// producer's span of every message in it, with the database transaction and
// the Kafka transaction as child spans. Retries are events on the step that
// retried. With tracing off the tracer records nothing and this costs a few
// allocations per chunk, none per message.

export interface ChunkOrigin {
  topic: string;
  partition: number;
  groupId: string;
  messages: readonly InboundMessage[];
}

export interface ChunkSpan {
  /** Runs the database transaction that decides the chunk as a child span. */
  deciding<T>(work: () => Promise<T>): Promise<T>;
  /** Runs the Kafka work that publishes the chunk's outcomes (and commits its offsets) as a child span. */
  sending<T>(outcomes: { topic: string; count: number; delivery: string }, work: () => Promise<T>): Promise<T>;
  /** A failed attempt of the step in progress, about to be retried after `delayMs`. */
  retried(error: unknown, attempt: number, delayMs: number): void;
  /** How the chunk's outcomes went, by status. */
  decided(statuses: readonly OutcomeStatus[]): void;
}

/** Runs the work on one chunk inside its span; a failure marks the span as failed and is thrown on. */
export async function inChunkSpan<T>(
  tracer: Tracer,
  origin: ChunkOrigin,
  work: (span: ChunkSpan) => Promise<T>,
): Promise<T> {
  const { topic, partition, groupId, messages } = origin;
  const span = tracer.startSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'messaging.consumer.group.name': groupId,
        'messaging.batch.message_count': messages.length,
        'contract_events.offset.first': messages[0]?.offset,
        'contract_events.offset.last': messages.at(-1)?.offset,
      },
    },
    ROOT_CONTEXT,
  );
  // Only a span that records reads the headers: with tracing off, nothing per message.
  if (span.isRecording()) span.addLinks(producerLinks(messages));
  let current: Span = span;
  /** Runs `work` as `child`, noting retries on it meanwhile. */
  const asCurrent = async <T>(child: Span, work: () => Promise<T>): Promise<T> => {
    current = child;
    try {
      return await work();
    } finally {
      current = span;
    }
  };
  const chunkSpan: ChunkSpan = {
    deciding: (work) => inDecideSpan(tracer, span, (child) => asCurrent(child, work)),
    sending: (outcomes, work) =>
      inChildSpan(
        tracer,
        span,
        `send ${outcomes.topic}`,
        SpanKind.PRODUCER,
        {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': outcomes.topic,
          'messaging.batch.message_count': outcomes.count,
          'contract_events.delivery': outcomes.delivery,
        },
        (child) => asCurrent(child, work),
      ),
    retried(error, attempt, delayMs) {
      current.addEvent('retry', {
        'retry.attempt': attempt,
        'retry.delay_ms': delayMs,
        'exception.message': messageOf(error),
      });
    },
    decided(statuses) {
      const counts = new Map<OutcomeStatus, number>();
      for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
      for (const [status, count] of counts) span.setAttribute(`contract_events.outcomes.${status}`, count);
    },
  };
  return endAfter(span, () => work(chunkSpan));
}

/** A link to the producer's span of each message that carried a valid traceparent. */
function producerLinks(messages: readonly InboundMessage[]): Link[] {
  const links: Link[] = [];
  for (const message of messages) {
    const context = remoteSpanContext(headerText(message, 'traceparent'));
    if (context) links.push({ context, attributes: { 'messaging.kafka.offset': Number(message.offset) } });
  }
  return links;
}
