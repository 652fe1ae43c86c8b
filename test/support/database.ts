import { randomBytes } from 'node:crypto';
import { withClient } from '../../scripts/infra/pg-admin.js';
import { inject } from 'vitest';
import { applyMigrations } from '../../src/store/migrations.js';

/** A database of its own for one test file, on the run's Postgres, dropped afterwards. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrate: boolean } = { migrate: true }): Promise<TestDatabase> {
  const serverUrl = new URL(inject('databaseUrl'));
  const name = `ces_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl.toString(), (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  if (options.migrate) await applyMigrations(url.toString());
  return {
    url: url.toString(),
    drop: () =>
      withClient(serverUrl.toString(), (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

export { withClient };
