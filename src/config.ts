import { isLoopbackHost } from './config-exposure.js';
import { configSchema, type Config } from './config-schema.js';
import { isSecretSetting, resolveSecretFiles } from './config-secrets.js';

// Every setting comes from the environment and is validated once at start-up,
// against the schema in src/config-schema.ts.

export type { Config };

/** Rules that span settings, each reported against the setting to change. */
function consistencyProblems(settings: Config): string[] {
  const problems: string[] = [];
  const sasl = [settings.KAFKA_SASL_MECHANISM, settings.KAFKA_SASL_USERNAME, settings.KAFKA_SASL_PASSWORD];
  if (sasl.some((value) => value !== undefined) && sasl.some((value) => value === undefined)) {
    problems.push(
      'KAFKA_SASL_MECHANISM: SASL needs KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or its _FILE) together',
    );
  }
  if (
    !settings.KAFKA_SSL &&
    (settings.KAFKA_SSL_CA ?? settings.KAFKA_SSL_CERT ?? settings.KAFKA_SSL_KEY) !== undefined
  ) {
    problems.push('KAFKA_SSL: a CA, certificate or key is set, so set KAFKA_SSL=true (or remove them)');
  }
  if ((settings.KAFKA_SSL_CERT === undefined) !== (settings.KAFKA_SSL_KEY === undefined)) {
    problems.push('KAFKA_SSL_CERT: mutual TLS needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE');
  }
  if (settings.EVENT_ORDER === 'created_at' && !settings.ENABLE_EVENT_AUDIT) {
    problems.push(
      'EVENT_ORDER: created_at re-folds a component from its audited events, so it needs ENABLE_EVENT_AUDIT=true',
    );
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
  if (
    settings.MANAGEMENT_PORT !== undefined &&
    settings.MANAGEMENT_PORT !== 0 &&
    settings.MANAGEMENT_PORT === settings.HTTP_PORT
  ) {
    problems.push('MANAGEMENT_PORT: must differ from HTTP_PORT');
  }
  return problems;
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
  const present = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
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
