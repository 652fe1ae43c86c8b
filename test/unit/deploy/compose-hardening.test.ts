import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SECRET_SETTINGS } from '../../../src/config-secrets.js';

// docker-compose.yml cannot be run here (no Docker engine), so its hardening is
// held statically: loopback-only ports, secrets from files, no anonymous
// Grafana, migrations by their own role before the service starts.

interface Service {
  command?: string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  secrets?: (string | { source: string })[];
  ports?: (string | number | { host_ip?: string; published?: string | number })[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
}
interface Compose {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string; environment?: string }>;
}

const compose = parse(readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8')) as Compose;
const services = Object.entries(compose.services);
const service = (name: string) => compose.services[name] ?? expect.fail(`docker-compose.yml has no service ${name}`);

/** Environment in either of compose's forms, values as strings. */
function environment(svc: Service): Record<string, string> {
  const entries = Array.isArray(svc.environment)
    ? svc.environment.map((line) => [line.split('=')[0]!, line.slice(line.indexOf('=') + 1)])
    : Object.entries(svc.environment ?? {}).map(([name, value]) => [name, String(value ?? '')]);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** The secret a `…_FILE` setting names, checked to be mounted into the service and defined from a file. */
function secretBehind(svc: Service, path: string | undefined): string {
  const name = /^\/run\/secrets\/([\w.-]+)$/.exec(path ?? '')?.[1];
  expect(name, `${path} is not a compose secret`).toBeDefined();
  expect(svc.secrets?.map((secret) => (typeof secret === 'string' ? secret : secret.source))).toContain(name);
  expect(compose.secrets?.[name!]?.file, `secret ${name} comes from a file`).toMatch(/^\.\/deploy\/secrets\//);
  return name!;
}

// A name that says "secret" must come with _FILE (Grafana: __FILE), never with the value.
const SECRET_NAME = /PASSWORD|TOKEN|SECRET|(^|_)KEY$|DATABASE_URL$|SASL_USERNAME/;
const CREDENTIALS_IN_URL = /\/\/[^/@\s]+:[^/@\s]*@/;

describe('docker-compose.yml', () => {
  it('publishes every port on 127.0.0.1 only', () => {
    const published = services.flatMap(([name, svc]) => (svc.ports ?? []).map((port) => ({ name, port })));
    // Every service but the one-shot migration publishes one port (docker-compose.yml).
    expect(published.map(({ name }) => name)).toEqual([
      'kafka',
      'postgres',
      'service',
      'prometheus',
      'grafana',
      'jaeger',
    ]);
    for (const { name, port } of published) {
      const hostIp =
        typeof port === 'object'
          ? port.host_ip
          : String(port).split(':').length === 3
            ? String(port).split(':')[0]
            : undefined;
      expect(hostIp, `${name}: ${JSON.stringify(port)}`).toBe('127.0.0.1');
    }
  });

  it('gives no service a secret value in its environment', () => {
    for (const [name, svc] of services) {
      for (const [variable, value] of Object.entries(environment(svc))) {
        if (SECRET_NAME.test(variable))
          expect(variable, `${name}: ${variable} holds a secret itself`).toMatch(/_FILE$/);
        expect(value, `${name}: ${variable}`).not.toMatch(CREDENTIALS_IN_URL);
      }
    }
    const env = environment(service('service'));
    for (const setting of SECRET_SETTINGS) expect(env, `service: ${setting}`).not.toHaveProperty(setting);
  });

  it('runs the service with an API token and the app role, from secret files', () => {
    const svc = service('service');
    const env = environment(svc);
    secretBehind(svc, env.API_TOKEN_FILE);
    expect(secretBehind(svc, env.DATABASE_URL_FILE)).not.toBe(
      secretBehind(service('migrate'), environment(service('migrate')).DATABASE_URL_FILE),
    );
    const postgres = environment(service('postgres'));
    expect(secretBehind(service('postgres'), postgres.APP_DATABASE_URL_FILE)).toBe(
      secretBehind(svc, env.DATABASE_URL_FILE),
    );
    expect(secretBehind(service('postgres'), postgres.MIGRATOR_DATABASE_URL_FILE)).toBe(
      secretBehind(service('migrate'), environment(service('migrate')).DATABASE_URL_FILE),
    );
    secretBehind(service('postgres'), postgres.POSTGRES_PASSWORD_FILE);
    expect(service('postgres').volumes).toContain('./deploy/postgres/initdb:/docker-entrypoint-initdb.d:ro');
  });

  it('migrates in a one-shot job, and starts the service without migrations once that job has succeeded', () => {
    expect(service('migrate').command).toEqual(['node', 'dist/store/migrate-cli.js']);
    const svc = service('service');
    expect(environment(svc).RUN_MIGRATIONS).toBe('false');
    expect(svc.depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
    expect(service('migrate').depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });

  it('opens Grafana to its admin only, with the password from a secret file', () => {
    const grafana = service('grafana');
    const env = environment(grafana);
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE).toBeUndefined();
    expect(env.GF_USERS_ALLOW_SIGN_UP).toBe('false');
    secretBehind(grafana, env.GF_SECURITY_ADMIN_PASSWORD__FILE);
  });
});
