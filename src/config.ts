import { isIP } from 'node:net';
import { z } from 'zod';
import { isSecretSetting, resolveSecretFiles } from './config-secrets.js';

// Every setting comes from the environment and is validated once at start-up.
// Defaults point at what `npm run infra:up` starts, so `npm start` works with
// no environment at all on a developer machine.

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const kafkaBrokerList = z
  .string()
  .transform((value) => value.split(',').map((broker) => broker.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port')).min(1, 'expected at least one host:port'));

const port = z.coerce.number().int().min(0).max(65535);

const httpUrl = z.url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' });

const pem = z.string().regex(/-----BEGIN [A-Z0-9 ]+-----/, 'expected PEM text (-----BEGIN ...-----)');

// Long enough that guessing is hopeless; `openssl rand -hex 32` gives 64 characters.
const token = z
  .string()
  .min(16, 'expected tokens of at least 16 characters')
  .regex(/^[\x21-\x2b\x2d-\x7e]+$/, 'expected tokens of printable ASCII without spaces or commas');

// Several tokens, separated by commas or line breaks, are all accepted: a
// new one is added beside the old before clients move to it (rotation).
const tokens = z
  .string()
  .transform((value) => value.split(/[\s,]+/).filter(Boolean))
  .pipe(z.array(token).min(1, 'expected at least one token'));

const configSchema = z.object({
  KAFKA_BROKERS: kafkaBrokerList.default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).default('contract-events-service'),
  KAFKA_GROUP_ID: z.string().min(1).default('contract-events-service'),
  EVENTS_TOPIC: z.string().min(1).default('contract-events'),
  OUTCOMES_TOPIC: z.string().min(1).default('contract-event-outcomes'),
  TOPIC_PARTITIONS: positiveInt(6),
  TOPIC_REPLICATION_FACTOR: positiveInt(1),
  PARTITIONS_CONSUMED_CONCURRENTLY: positiveInt(3),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).default(30_000),
  LAG_SAMPLE_INTERVAL_MS: positiveInt(10_000),
  BATCH_MAX_SIZE: positiveInt(1000),
  OUTCOME_COMPRESSION: z.enum(['none', 'gzip']).default('none'),
  OUTCOME_DELIVERY: z.enum(['transactional', 'at-least-once']).default('transactional'),
  /** Transactional ids are `<prefix>-<events topic>-<partition>` and `<prefix>-http-outbox`; default: the group id. */
  KAFKA_TRANSACTIONAL_ID_PREFIX: z.string().min(1).optional(),
  /** `max.message.bytes` the service gives the topics it creates; an existing outcome topic's own value is read at start-up. */
  TOPIC_MAX_MESSAGE_BYTES: z.coerce.number().int().min(8192).default(1_048_576),
  /** TLS to the brokers; CA, certificate and key are PEM text (usually given as `KAFKA_SSL_CA_FILE` etc.). */
  KAFKA_SSL: booleanFromEnv.default(false),
  KAFKA_SSL_CA: pem.optional(),
  KAFKA_SSL_CERT: pem.optional(),
  KAFKA_SSL_KEY: pem.optional(),
  KAFKA_SSL_REJECT_UNAUTHORIZED: booleanFromEnv.default(true),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgresql:// URL')
    .default('postgresql://postgres:postgres@127.0.0.1:5433/contract_events'),
  DATABASE_POOL_SIZE: positiveInt(10),
  /** A pool of its own for HTTP requests, so a flood of them never takes the consumer's connections. */
  HTTP_DATABASE_POOL_SIZE: positiveInt(4),
  HTTP_STATEMENT_TIMEOUT_MS: positiveInt(5_000),
  HTTP_LOCK_TIMEOUT_MS: positiveInt(2_000),
  RUN_MIGRATIONS: booleanFromEnv.default(true),
  ENABLE_EVENT_AUDIT: booleanFromEnv.default(true),
  /** `arrival`: decide each event against the state when it arrives. `created_at`: the state is the fold in created_at order. */
  EVENT_ORDER: z.enum(['arrival', 'created_at']).default('arrival'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: port.default(8080),
  /** When set, /health/* and /metrics answer on this port (unauthenticated) instead of HTTP_PORT. */
  MANAGEMENT_PORT: port.optional(),
  /** Default: HTTP_HOST. */
  MANAGEMENT_HOST: z.string().min(1).optional(),
  /** Bearer tokens for every route that changes state; reads take them too whenever reads ask for a token (readsNeedToken). */
  API_TOKEN: tokens.optional(),
  /** When set, reads need one of these tokens or of API_TOKEN, also on loopback. */
  API_READ_TOKEN: tokens.optional(),
  ALLOW_UNAUTHENTICATED_HTTP: booleanFromEnv.default(false),
  /** On an HTTP_HOST beyond loopback, reads ask for API_TOKEN or API_READ_TOKEN unless this is true. */
  ALLOW_ANONYMOUS_READS: booleanFromEnv.default(false),
  /** Requests refused for their token (401/403) per client address and window before the rest are answered 429 (0: no limit). */
  REFUSED_RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(30),
  REFUSED_RATE_LIMIT_WINDOW_MS: positiveInt(60_000),
  /** Longest time to receive a whole request (0: none). */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** An idle socket is closed after this long (0: never). */
  HTTP_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(0).default(60_000),
  /** `POST /events` requests per client address and window (0: no limit). */
  EVENTS_RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(1_000),
  EVENTS_RATE_LIMIT_WINDOW_MS: positiveInt(60_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OpenTelemetry tracing is on when one of these is set: spans go there as OTLP over HTTP (JSON). */
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  /** Used as is; OTEL_EXPORTER_OTLP_ENDPOINT gets `/v1/traces` appended. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('contract-events-service'),
  /** Turns tracing off whatever the endpoints say, as the OpenTelemetry SDKs do. */
  OTEL_SDK_DISABLED: booleanFromEnv.default(false),
  /**
   * Attempts at an event failing permanently, or unexpectedly (a bug; then with
   * backoff), before it is given up as PROCESSING_FAILED; and at publishing a
   * chunk failing unexpectedly before the consumer stops.
   */
  PROCESSING_MAX_ATTEMPTS: positiveInt(3),
  RETRY_INITIAL_MS: positiveInt(200),
  RETRY_MAX_MS: positiveInt(10_000),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
});

const LOOPBACK_NAMES = new Set(['localhost', 'ip6-localhost', 'ip6-loopback']);

/** True when only this machine can reach the address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK_NAMES.has(bare)) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(bare);
}

type Settings = z.infer<typeof configSchema>;

/** Rules that span settings, each reported against the setting to change. */
function consistencyProblems(settings: Settings): string[] {
  const problems: string[] = [];
  const sasl = [settings.KAFKA_SASL_MECHANISM, settings.KAFKA_SASL_USERNAME, settings.KAFKA_SASL_PASSWORD];
  if (sasl.some((value) => value !== undefined) && sasl.some((value) => value === undefined)) {
    problems.push('KAFKA_SASL_MECHANISM: SASL needs KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or its _FILE) together');
  }
  if (!settings.KAFKA_SSL && (settings.KAFKA_SSL_CA ?? settings.KAFKA_SSL_CERT ?? settings.KAFKA_SSL_KEY) !== undefined) {
    problems.push('KAFKA_SSL: a CA, certificate or key is set, so set KAFKA_SSL=true (or remove them)');
  }
  if ((settings.KAFKA_SSL_CERT === undefined) !== (settings.KAFKA_SSL_KEY === undefined)) {
    problems.push('KAFKA_SSL_CERT: mutual TLS needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE');
  }
  if (settings.EVENT_ORDER === 'created_at' && !settings.ENABLE_EVENT_AUDIT) {
    problems.push('EVENT_ORDER: created_at re-folds a component from its audited events, so it needs ENABLE_EVENT_AUDIT=true');
  }
  if (settings.API_READ_TOKEN !== undefined && settings.API_TOKEN === undefined) {
    problems.push('API_READ_TOKEN: set API_TOKEN too, or every change would be open while reads are closed');
  }
  if (settings.API_READ_TOKEN?.some((readToken) => settings.API_TOKEN?.includes(readToken))) {
    problems.push('API_READ_TOKEN: must differ from every API_TOKEN');
  }
  if (settings.ALLOW_ANONYMOUS_READS && settings.API_READ_TOKEN !== undefined) {
    problems.push('ALLOW_ANONYMOUS_READS: API_READ_TOKEN is set, so reads ask for a token; unset one of them');
  }
  if (settings.API_TOKEN === undefined && !settings.ALLOW_UNAUTHENTICATED_HTTP && !isLoopbackHost(settings.HTTP_HOST)) {
    problems.push(
      `HTTP_HOST: ${settings.HTTP_HOST} is reachable from other machines, so set API_TOKEN (or API_TOKEN_FILE), ` +
        'or ALLOW_UNAUTHENTICATED_HTTP=true to serve the API without authentication',
    );
  }
  if (settings.MANAGEMENT_PORT !== undefined && settings.MANAGEMENT_PORT !== 0 && settings.MANAGEMENT_PORT === settings.HTTP_PORT) {
    problems.push('MANAGEMENT_PORT: must differ from HTTP_PORT');
  }
  return problems;
}

export type Config = Settings;

/**
 * Whether reads ask for a token even without API_READ_TOKEN: on an address
 * other machines reach they show contracts, audited events with their Kafka
 * positions and who deleted what, unless ALLOW_ANONYMOUS_READS says otherwise.
 */
export function readsNeedToken(config: Config): boolean {
  return !isLoopbackHost(config.HTTP_HOST) && !config.ALLOW_ANONYMOUS_READS;
}

/** A line for the log at start-up for each setting that opens the API on purpose. */
export function exposureWarnings(config: Config): string[] {
  const host = config.HTTP_HOST;
  const beyondLoopback = !isLoopbackHost(host);
  const warnings: string[] = [];
  if (config.ALLOW_UNAUTHENTICATED_HTTP) {
    warnings.push(
      beyondLoopback && config.API_TOKEN === undefined
        ? `ALLOW_UNAUTHENTICATED_HTTP=true: the API on ${host} asks for no token; anyone who reaches it may create and delete contracts, decide events and read everything`
        : 'ALLOW_UNAUTHENTICATED_HTTP=true: no effect while API_TOKEN is set or HTTP_HOST is loopback, but it would open the API on another address without API_TOKEN',
    );
  }
  if (config.ALLOW_ANONYMOUS_READS && beyondLoopback) {
    warnings.push(
      `ALLOW_ANONYMOUS_READS=true: reads on ${host} ask for no token; anyone who reaches it may read contracts, timelines, audited events with their Kafka positions and deletion history`,
    );
  }
  return warnings;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the configuration, secrets from their `_FILE` forms too; throws
 * ConfigError with one line per invalid variable, never quoting a secret.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty variables count as unset, as in most twelve-factor tooling.
  const present = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  const secrets = resolveSecretFiles(present);
  const result = configSchema.safeParse(secrets.env);
  if (!result.success) {
    const invalid = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'config');
      const shown = isSecretSetting(name) ? '' : ` (got ${JSON.stringify(secrets.env[name])})`;
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError([...secrets.problems, ...invalid]);
  }
  const problems = [...secrets.problems, ...consistencyProblems(result.data)];
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data;
}
