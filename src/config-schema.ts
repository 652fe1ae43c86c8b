import { z } from 'zod';
import { booleanFromEnv, httpUrl, kafkaBrokerList, pem, port, positiveInt, tokens } from './config-fields.js';

// Every setting comes from the environment and is validated once at start-up
// (src/config.ts). Defaults point at what `npm run infra:up` starts, so
// `npm start` works with no environment at all on a developer machine.

// Each setting's `.describe()` is its meaning in docs/configuration.md
// (`npm run docs:config`), so the reference cannot drift from the schema.
export const configSchema = z.object({
  KAFKA_BROKERS: kafkaBrokerList.default(['127.0.0.1:9092']).describe('comma-separated `host:port` list'),
  KAFKA_CLIENT_ID: z.string().min(1).default('contract-events-service').describe('Kafka client id'),
  KAFKA_GROUP_ID: z
    .string()
    .min(1)
    .default('contract-events-service')
    .describe('consumer group; run more instances with the same id to scale out'),
  EVENTS_TOPIC: z.string().min(1).default('contract-events').describe('input topic'),
  OUTCOMES_TOPIC: z.string().min(1).default('contract-event-outcomes').describe('output topic'),
  TOPIC_PARTITIONS: positiveInt(6).describe('partitions for topics the service creates at start-up'),
  TOPIC_REPLICATION_FACTOR: positiveInt(1).describe('replication factor for topics it creates'),
  PARTITIONS_CONSUMED_CONCURRENTLY: positiveInt(3).describe(
    'partitions processed in parallel (order is kept within each)',
  ),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(6_000)
    .default(30_000)
    .describe(
      'how long the group waits for a silent instance (one that was killed) before its partitions move; at least 6000',
    ),
  LAG_SAMPLE_INTERVAL_MS: positiveInt(10_000).describe(
    'how often consumer lag (in messages and in seconds) is sampled from the broker',
  ),
  BATCH_MAX_SIZE: positiveInt(1000).describe('most messages decided in one database transaction'),
  OUTCOME_COMPRESSION: z
    .enum(['none', 'gzip'])
    .default('none')
    .describe(
      '`none` or `gzip` for outcome messages; gzip saves network and broker disk for CPU, which this service is short of on small machines',
    ),
  OUTCOME_DELIVERY: z
    .enum(['transactional', 'at-least-once'])
    .default('transactional')
    .describe(
      '`transactional`: outcomes and consumed offsets commit in one Kafka transaction (exactly one outcome per message for `read_committed` readers); ' +
        '`at-least-once`: publish, then commit offsets (for clusters that do not allow transactions) — see [Delivery guarantees](architecture.md#delivery-guarantees-and-recovery)',
    ),
  KAFKA_TRANSACTIONAL_ID_PREFIX: z
    .string()
    .min(1)
    .optional()
    .describe(
      'transactional ids are `<prefix>-<events topic>-<partition>` and `<prefix>-http-outbox`; unset: the group id (`KAFKA_GROUP_ID`)',
    ),
  TOPIC_MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(8192)
    .default(1_048_576)
    .describe(
      "`max.message.bytes` of topics the service creates (at least 8192); the outcome topic's actual value is read at start-up, whoever created it",
    ),
  KAFKA_SSL: booleanFromEnv.default(false).describe('TLS to the brokers'),
  KAFKA_SSL_CA: pem
    .optional()
    .describe(
      "PEM text of the CA(s) that signed the brokers' certificates, usually given as a file (`KAFKA_SSL_CA_FILE`); unset: Node's public CAs",
    ),
  KAFKA_SSL_CERT: pem
    .optional()
    .describe(
      'PEM certificate of the service, for brokers that want mutual TLS (with `KAFKA_SSL_KEY`: both or neither); usually `KAFKA_SSL_CERT_FILE`',
    ),
  KAFKA_SSL_KEY: pem
    .optional()
    .describe(
      'PEM key of the service, for mutual TLS (with `KAFKA_SSL_CERT`: both or neither); usually `KAFKA_SSL_KEY_FILE`',
    ),
  KAFKA_SSL_REJECT_UNAUTHORIZED: booleanFromEnv
    .default(true)
    .describe('refuse brokers whose certificate does not verify (turn off only to diagnose)'),
  KAFKA_SASL_MECHANISM: z
    .enum(['plain', 'scram-sha-256', 'scram-sha-512'])
    .optional()
    .describe('SASL mechanism; needs `KAFKA_SASL_USERNAME` and `KAFKA_SASL_PASSWORD`'),
  KAFKA_SASL_USERNAME: z.string().optional().describe("the service's Kafka login: user name"),
  KAFKA_SASL_PASSWORD: z.string().optional().describe("the service's Kafka login: password"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgresql:// URL')
    .default('postgresql://postgres:postgres@127.0.0.1:5433/contract_events')
    .describe('Postgres connection string (never logged)'),
  DATABASE_POOL_SIZE: positiveInt(10).describe(
    "connections in the consumer's pool (the consumer, the outbox relay, readiness)",
  ),
  DATABASE_CONNECTION_MAX_LIFETIME_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(60)
    .describe(
      'a pooled connection is replaced once this old (0: never), so a setting that reaches new sessions only (read-only set or lifted with `ALTER DATABASE`) reaches every connection in time',
    ),
  HTTP_DATABASE_POOL_SIZE: positiveInt(4).describe(
    "connections in the HTTP requests' own pool, so a flood of requests never takes the consumer's; a request that finds none free within 5 s is answered 503",
  ),
  HTTP_STATEMENT_TIMEOUT_MS: positiveInt(5_000).describe(
    "`statement_timeout` of the HTTP pool's connections (the consumer's have none); a request cancelled by it is answered 503 and writes nothing",
  ),
  HTTP_LOCK_TIMEOUT_MS: positiveInt(2_000).describe(
    "`lock_timeout` of the HTTP pool's connections (the consumer's have none); a request cancelled by it is answered 503 and writes nothing",
  ),
  RUN_MIGRATIONS: booleanFromEnv.default(true).describe('apply pending migrations at start-up'),
  ENABLE_EVENT_AUDIT: booleanFromEnv.default(true).describe('keep the append-only audit of decided events'),
  EVENT_ORDER: z
    .enum(['arrival', 'created_at'])
    .default('arrival')
    .describe(
      '`arrival`: decide each event against the state when it arrives; `created_at`: the state is the fold in `created_at` order, ' +
        'earlier decisions revised when a late event arrives ([Event order](architecture.md#event-order)); needs the audit',
    ),
  HTTP_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe(
      'sidecar address; an address other machines can reach (anything but `127.0.0.0/8`, `::1`, `localhost`; a DNS name such as `127.example.com` counts as reachable) ' +
        'needs `API_TOKEN` (or `ALLOW_UNAUTHENTICATED_HTTP=true`), and its reads ask for a token too (see [Authentication](http-api.md#authentication))',
    ),
  HTTP_PORT: port.default(8080).describe('sidecar port'),
  MANAGEMENT_PORT: port
    .optional()
    .describe(
      'when set, `/health/live`, `/health/ready` (and `/livez`, `/readyz`) and `/metrics` are served there (never with a token) and no longer on `HTTP_PORT`',
    ),
  MANAGEMENT_HOST: z.string().min(1).optional().describe('address of the management port; unset: `HTTP_HOST`'),
  API_TOKEN: tokens
    .optional()
    .describe(
      'bearer token every route that changes state asks for, and reads on an `HTTP_HOST` beyond loopback (see [Authentication](http-api.md#authentication)); ' +
        'at least 16 printable characters, e.g. `openssl rand -hex 32`; several, separated by commas or line breaks, are all accepted (rotation); ' +
        'a deleted contract records which one by its label, `api-token:` and the first 12 hex digits of its SHA-256',
    ),
  API_READ_TOKEN: tokens
    .optional()
    .describe('when set, reads ask for it or `API_TOKEN`, on loopback too; needs `API_TOKEN`'),
  ALLOW_UNAUTHENTICATED_HTTP: booleanFromEnv
    .default(false)
    .describe(
      'serve the API on a non-loopback `HTTP_HOST` without a token; a `warn` line at start-up whenever it is `true`',
    ),
  ALLOW_ANONYMOUS_READS: booleanFromEnv
    .default(false)
    .describe(
      'on a non-loopback `HTTP_HOST`, serve reads without a token (changes still need `API_TOKEN`); a `warn` line at start-up; not with `API_READ_TOKEN`',
    ),
  REFUSED_RATE_LIMIT_MAX: z.coerce
    .number()
    .int()
    .min(0)
    .default(30)
    .describe(
      'requests one client address may have refused for their token (401/403) per window; over it, 429 until the window ends (0: no limit). ' +
        'Requests with a valid token are never counted nor held up',
    ),
  REFUSED_RATE_LIMIT_WINDOW_MS: positiveInt(60_000).describe('the window of `REFUSED_RATE_LIMIT_MAX`'),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30_000)
    .describe('longest time to receive a whole request, headers and body; then 408 and the socket is closed (0: none)'),
  HTTP_CONNECTION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(60_000)
    .describe(
      'an idle socket is closed after this long (0: never); kept-alive sockets are closed after 5 s without a request',
    ),
  EVENTS_RATE_LIMIT_MAX: z.coerce
    .number()
    .int()
    .min(0)
    .default(1_000)
    .describe(
      '`POST /events` (and `POST /event`, counted together) requests per client address and window; over it, 429 (0: no limit)',
    ),
  EVENTS_RATE_LIMIT_WINDOW_MS: positiveInt(60_000).describe('the window of `EVENTS_RATE_LIMIT_MAX`'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('lowest level logged'),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl
    .optional()
    .describe(
      'OpenTelemetry tracing, off unless this or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set: spans go there as OTLP over HTTP (JSON), ' +
        'with `/v1/traces` appended (see [Tracing](operations.md#tracing))',
    ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl
    .optional()
    .describe('the same for traces only, used as is (see [Tracing](operations.md#tracing))'),
  OTEL_SERVICE_NAME: z.string().min(1).default('contract-events-service').describe("the spans' `service.name`"),
  OTEL_SDK_DISABLED: booleanFromEnv
    .default(false)
    .describe(
      "`true` turns tracing off whatever the endpoints say, as the OpenTelemetry SDKs do. The SDK's own `OTEL_EXPORTER_OTLP_HEADERS`, " +
        '`OTEL_TRACES_SAMPLER(_ARG)` and `OTEL_BSP_*` apply as usual',
    ),
  PROCESSING_MAX_ATTEMPTS: positiveInt(3).describe(
    'attempts at an event that fails permanently in Postgres, or with an unexpected error (with backoff), before it is given up as `PROCESSING_FAILED`; ' +
      'also the attempts at publishing a chunk that fails unexpectedly before the consumer stops, ' +
      'and at publishing outcomes of HTTP decisions before the outbox relay says at `error` that they are stuck',
  ),
  RETRY_INITIAL_MS: positiveInt(200).describe(
    'first delay of the capped exponential backoff for database and Kafka failures',
  ),
  RETRY_MAX_MS: positiveInt(10_000).describe('longest delay of that backoff'),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000).describe('longest graceful stop before the process exits 1'),
});

export type Config = z.infer<typeof configSchema>;
