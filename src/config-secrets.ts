import { readFileSync } from 'node:fs';

// Container platforms hand secrets over as files (Docker and Kubernetes
// secrets): every secret setting X may instead be given as X_FILE, the path
// of a file holding the value, as the official database images do.

/** Settings whose values are secret: never echoed, and each accepts an `_FILE` form. */
export const SECRET_SETTINGS = [
  'DATABASE_URL',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'KAFKA_SSL_CA',
  'KAFKA_SSL_CERT',
  'KAFKA_SSL_KEY',
  'API_TOKEN',
  'API_READ_TOKEN',
] as const;

export type SecretSetting = (typeof SECRET_SETTINGS)[number];

export const isSecretSetting = (name: string): name is SecretSetting =>
  (SECRET_SETTINGS as readonly string[]).includes(name);

/**
 * Replaces each `X_FILE` of a secret setting by `X` read from that file (one
 * trailing line break dropped, as `echo` and editors add one). Returns the
 * environment to validate and one problem line per unusable setting; a
 * problem names the variable and the file, never the value.
 */
export function resolveSecretFiles(env: Readonly<Record<string, string>>): {
  env: Record<string, string>;
  problems: string[];
} {
  const resolved: Record<string, string> = { ...env };
  const problems: string[] = [];
  for (const name of SECRET_SETTINGS) {
    const file = env[`${name}_FILE`];
    if (file === undefined) continue;
    delete resolved[`${name}_FILE`];
    if (env[name] !== undefined) {
      problems.push(`${name}_FILE: set either ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      if (value === '') problems.push(`${name}_FILE: ${JSON.stringify(file)} is empty`);
      else resolved[name] = value;
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push(`${name}_FILE: cannot read ${JSON.stringify(file)} (${reason})`);
    }
  }
  return { env: resolved, problems };
}
