import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exposureWarnings, isLoopbackHost, readsNeedToken } from '../../src/config-exposure.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { kafkaSecurity } from '../../src/kafka/kafka-security.js';

describe('loadConfig', () => {
  it('defaults to what `npm run infra:up` starts', () => {
    const config = loadConfig({});
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.DATABASE_URL).toBe('postgresql://postgres:postgres@127.0.0.1:5433/contract_events');
    expect(config.EVENTS_TOPIC).toBe('contract-events');
    expect(config.OUTCOMES_TOPIC).toBe('contract-event-outcomes');
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.ENABLE_EVENT_AUDIT).toBe(true);
  });

  it('reads and converts the environment', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'a:1, b:2',
      HTTP_PORT: '9000',
      ENABLE_EVENT_AUDIT: 'false',
      EVENTS_TOPIC: 'in',
    });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.HTTP_PORT).toBe(9000);
    expect(config.ENABLE_EVENT_AUDIT).toBe(false);
    expect(config.EVENTS_TOPIC).toBe('in');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ HTTP_PORT: '' }).HTTP_PORT).toBe(8080);
  });

  it('reports one line per invalid variable and never echoes the database URL', () => {
    let caught: unknown;
    try {
      loadConfig({
        HTTP_PORT: 'eighty',
        KAFKA_BROKERS: 'nohost',
        ENABLE_EVENT_AUDIT: 'maybe',
        DATABASE_URL: 'mysql://secret@x',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const { problems, message } = caught as ConfigError;
    expect(problems).toHaveLength(4);
    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'ENABLE_EVENT_AUDIT',
      'HTTP_PORT',
      'KAFKA_BROKERS',
    ]);
    expect(message).not.toContain('secret');
    expect(message.split('\n')).toHaveLength(5);
  });
});

describe('secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-test-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('reads every secret from its _FILE form, dropping one trailing line break', () => {
    const config = loadConfig({
      DATABASE_URL_FILE: file('db', 'postgresql://app:s3cret@db:5432/ce\n'),
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD_FILE: file('kafka-pw', 'pa ss\r\n'),
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: file('ca.pem', '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n'),
      API_TOKEN_FILE: file('token', 'a'.repeat(32)),
    });
    expect(config.DATABASE_URL).toBe('postgresql://app:s3cret@db:5432/ce');
    expect(config.KAFKA_SASL_PASSWORD).toBe('pa ss');
    expect(config.KAFKA_SSL_CA).toBe('-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----');
    expect(config.API_TOKEN).toEqual(['a'.repeat(32)]);
    expect(kafkaSecurity(config)).toEqual({
      ssl: { rejectUnauthorized: true, ca: config.KAFKA_SSL_CA },
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'pa ss' },
    });
  });

  it('is plaintext and unauthenticated towards Kafka by default', () => {
    expect(kafkaSecurity(loadConfig({}))).toEqual({});
  });

  it('names the variable and the file of an unusable secret, never its value', () => {
    const problems = problemsOf({
      API_TOKEN_FILE: join(dir, 'missing'),
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: 'hunter2-hunter2',
      KAFKA_SASL_PASSWORD_FILE: file('pw2', 'other'),
      DATABASE_URL_FILE: file('empty', '\n'),
    });
    expect(problems).toEqual([
      'DATABASE_URL_FILE: "' + join(dir, 'empty') + '" is empty',
      'KAFKA_SASL_PASSWORD_FILE: set either KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both',
      `API_TOKEN_FILE: cannot read "${join(dir, 'missing')}" (ENOENT)`,
    ]);
  });

  it('never echoes an invalid secret', () => {
    const problems = problemsOf({
      API_TOKEN: 'short-secret',
      KAFKA_SSL: 'true',
      KAFKA_SSL_KEY: 'not-pem-secret',
      KAFKA_SSL_CERT: 'x',
    });
    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual(['API_TOKEN', 'KAFKA_SSL_CERT', 'KAFKA_SSL_KEY']);
    expect(problems.join('\n')).not.toMatch(/secret|"x"/);
  });

  it('wants SASL mechanism, username and password together, and TLS material only with KAFKA_SSL', () => {
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'svc' })).toEqual([
      expect.stringMatching(/^KAFKA_SASL_MECHANISM: SASL needs/),
    ]);
    expect(problemsOf({ KAFKA_SSL_CA: '-----BEGIN CERTIFICATE-----' })).toEqual([
      expect.stringMatching(/^KAFKA_SSL: .*KAFKA_SSL=true/),
    ]);
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CERT: '-----BEGIN CERTIFICATE-----' })).toEqual([
      expect.stringMatching(/^KAFKA_SSL_CERT: mutual TLS/),
    ]);
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' })).toEqual([]);
  });
});

describe('HTTP exposure', () => {
  const token = 'b'.repeat(24);
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return undefined;
    } catch (error) {
      return (error as ConfigError).problems.join('\n');
    }
  };

  it('listens on loopback by default', () => {
    expect(loadConfig({}).HTTP_HOST).toBe('127.0.0.1');
  });

  // A DNS name that starts with `127.` resolves wherever its owner points it: only an address or localhost is loopback.
  it.each(['0.0.0.0', '::', '10.1.2.3', 'example.internal', '127.example.com', '127.0.0.1.nip.io'])(
    'refuses %s without a token, in one line',
    (host) => {
      const message = refusal({ HTTP_HOST: host });
      expect(message).toMatch(
        new RegExp(`^HTTP_HOST: ${host.replace(/\./g, '\\.')} is reachable from other machines, so set API_TOKEN`),
      );
      expect(message?.split('\n')).toHaveLength(1);
    },
  );

  it.each(['127.0.0.1', '127.0.0.53', '::1', '[::1]', 'localhost'])(
    'accepts the loopback address %s without a token',
    (host) => {
      expect(refusal({ HTTP_HOST: host })).toBeUndefined();
    },
  );

  it('counts only addresses in 127.0.0.0/8, ::1 and the localhost names as loopback', () => {
    for (const host of ['127.0.0.1', '127.255.255.254', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      '127.example.com',
      '127.0.0.1.nip.io',
      '127.0.0.1.',
      '1270.0.0.1',
      '128.0.0.1',
      '0.0.0.0',
      '::',
      'localhost.example.com',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('closes reads beyond loopback unless ALLOW_ANONYMOUS_READS=true', () => {
    expect(readsNeedToken(loadConfig({}))).toBe(false);
    expect(readsNeedToken(loadConfig({ HTTP_HOST: 'localhost', API_TOKEN: token }))).toBe(false);
    expect(readsNeedToken(loadConfig({ HTTP_HOST: '0.0.0.0', API_TOKEN: token }))).toBe(true);
    expect(readsNeedToken(loadConfig({ HTTP_HOST: '127.example.com', API_TOKEN: token }))).toBe(true);
    expect(readsNeedToken(loadConfig({ HTTP_HOST: '0.0.0.0', API_TOKEN: token, ALLOW_ANONYMOUS_READS: 'true' }))).toBe(
      false,
    );
  });

  it('refuses ALLOW_ANONYMOUS_READS beside API_READ_TOKEN, which asks for a token on reads', () => {
    expect(refusal({ API_TOKEN: `${'c'.repeat(20)}`, API_READ_TOKEN: token, ALLOW_ANONYMOUS_READS: 'true' })).toBe(
      'ALLOW_ANONYMOUS_READS: API_READ_TOKEN is set, so reads ask for a token; unset one of them',
    );
  });

  it('warns at start-up of every setting that opens the API on purpose', () => {
    const warnings = (env: Record<string, string>) => exposureWarnings(loadConfig(env));
    expect(warnings({})).toEqual([]);
    expect(warnings({ HTTP_HOST: '0.0.0.0', API_TOKEN: token })).toEqual([]);
    expect(warnings({ HTTP_HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED_HTTP: 'true' })).toEqual([
      expect.stringMatching(
        /^ALLOW_UNAUTHENTICATED_HTTP=true: the API on 0\.0\.0\.0 asks for no token; anyone who reaches it may create and delete contracts/,
      ),
      // Reads are open with everything else; ALLOW_ANONYMOUS_READS is not set, so it says nothing.
    ]);
    expect(warnings({ HTTP_HOST: '0.0.0.0', API_TOKEN: token, ALLOW_UNAUTHENTICATED_HTTP: 'true' })).toEqual([
      expect.stringMatching(/^ALLOW_UNAUTHENTICATED_HTTP=true: no effect while API_TOKEN is set/),
    ]);
    expect(warnings({ ALLOW_UNAUTHENTICATED_HTTP: 'true' })).toEqual([
      expect.stringMatching(/^ALLOW_UNAUTHENTICATED_HTTP=true: no effect/),
    ]);
    expect(warnings({ HTTP_HOST: '10.1.2.3', API_TOKEN: token, ALLOW_ANONYMOUS_READS: 'true' })).toEqual([
      expect.stringMatching(
        /^ALLOW_ANONYMOUS_READS=true: reads on 10\.1\.2\.3 ask for no token; anyone who reaches it may read contracts, timelines, audited events/,
      ),
    ]);
    // On loopback reads are open anyway: nothing to warn of.
    expect(warnings({ API_TOKEN: token, ALLOW_ANONYMOUS_READS: 'true' })).toEqual([]);
  });

  it('accepts another address with a token, or when unauthenticated HTTP is allowed explicitly', () => {
    expect(refusal({ HTTP_HOST: '0.0.0.0', API_TOKEN: token })).toBeUndefined();
    expect(refusal({ HTTP_HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED_HTTP: 'true' })).toBeUndefined();
  });

  it('wants a read token only beside an admin token, and a different one', () => {
    expect(refusal({ API_READ_TOKEN: token })).toMatch(/^API_READ_TOKEN: set API_TOKEN too/);
    expect(refusal({ API_READ_TOKEN: token, API_TOKEN: `${'c'.repeat(20)},${token}` })).toMatch(
      /^API_READ_TOKEN: must differ/,
    );
    expect(refusal({ API_TOKEN: `${token}\u00e9` })).toMatch(/^API_TOKEN: expected tokens of printable ASCII/);
    expect(refusal({ API_TOKEN: `${token},short` })).toMatch(/^API_TOKEN: expected tokens of at least 16 characters/);
  });

  it('takes several tokens, separated by commas or line breaks, so one can be rotated', () => {
    const next = 'n'.repeat(40);
    expect(loadConfig({ API_TOKEN: `${next},${token}` }).API_TOKEN).toEqual([next, token]);
    expect(loadConfig({ API_TOKEN: `${next}\n${token}\n` }).API_TOKEN).toEqual([next, token]);
    expect(loadConfig({ API_TOKEN: token }).API_TOKEN).toEqual([token]);
  });

  it('keeps the management port apart from the API port', () => {
    expect(refusal({ HTTP_PORT: '9000', MANAGEMENT_PORT: '9000' })).toMatch(/^MANAGEMENT_PORT: must differ/);
    expect(loadConfig({ MANAGEMENT_PORT: '9100' }).MANAGEMENT_PORT).toBe(9100);
  });
});

describe('EVENT_ORDER', () => {
  const problems = (env: Record<string, string>) => {
    try {
      return loadConfig(env).EVENT_ORDER;
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('defaults to arrival and accepts created_at', () => {
    expect(problems({})).toBe('arrival');
    expect(problems({ EVENT_ORDER: 'created_at' })).toBe('created_at');
  });

  it('refuses created_at without the audit it re-folds from, in one line', () => {
    expect(problems({ EVENT_ORDER: 'created_at', ENABLE_EVENT_AUDIT: 'false' })).toEqual([
      'EVENT_ORDER: created_at re-folds a component from its audited events, so it needs ENABLE_EVENT_AUDIT=true',
    ]);
  });

  it('refuses an order it does not know', () => {
    expect(problems({ EVENT_ORDER: 'offset' })).toEqual([expect.stringMatching(/^EVENT_ORDER: /)]);
  });
});
