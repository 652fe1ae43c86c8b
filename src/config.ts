import { z } from 'zod';

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
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgresql:// URL')
    .default('postgresql://postgres:postgres@127.0.0.1:5433/contract_events'),
  DATABASE_POOL_SIZE: positiveInt(10),
  RUN_MIGRATIONS: booleanFromEnv.default(true),
  ENABLE_EVENT_AUDIT: booleanFromEnv.default(true),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PROCESSING_MAX_ATTEMPTS: positiveInt(3),
  RETRY_INITIAL_MS: positiveInt(200),
  RETRY_MAX_MS: positiveInt(10_000),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the configuration; throws ConfigError with one line per invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty variables count as unset, as in most twelve-factor tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = configSchema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'config');
      const shown = name === 'DATABASE_URL' ? '' : ` (got ${JSON.stringify(present[name])})`;
      return `${name}: ${issue.message}${shown}`;
    }),
  );
}
