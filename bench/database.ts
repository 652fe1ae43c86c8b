import { dropDatabase, withClient, withDatabase } from '../scripts/infra/pg-admin.js';
import { applyMigrations } from '../src/store/migrations.js';
import type { BenchContract } from './dataset.js';

// Every implementation starts from an identical database: one template is
// migrated and seeded once, and each run gets its own copy of it
// (CREATE DATABASE … TEMPLATE), so runs never see each other's state and
// per-database statistics belong to one implementation.

/** Creates, migrates and seeds the template database; returns its name. */
export async function createTemplate(
  serverUrl: string,
  name: string,
  contracts: readonly BenchContract[],
): Promise<void> {
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  const url = withDatabase(serverUrl, name);
  await applyMigrations(url);
  // Bulk set-up in one statement; components travel as Postgres array literals.
  await withClient(url, (client) =>
    client.query(
      `INSERT INTO contracts (contract_number, components)
       SELECT n, c::component_type[] FROM unnest($1::text[], $2::text[]) AS t(n, c)`,
      [contracts.map((c) => c.contractNumber), contracts.map((c) => `{${c.components.join(',')}}`)],
    ),
  );
  await withClient(url, (client) => client.query('VACUUM ANALYZE'));
}

/** A fresh copy of the template; returns its URL. */
export async function cloneDatabase(serverUrl: string, template: string, name: string): Promise<string> {
  await withClient(serverUrl, async (client) => {
    // A large template (the filled database) is copied file by file: the default WAL_LOG copy writes it twice.
    const { rows } = await client.query<{ large: boolean }>(
      'SELECT pg_database_size($1) > 1024 * 1024 * 1024 AS large',
      [template],
    );
    const strategy = rows[0]?.large ? ' STRATEGY FILE_COPY' : '';
    await client.query(
      `CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE ${client.escapeIdentifier(template)}${strategy}`,
    );
  });
  return withDatabase(serverUrl, name);
}

export async function dropDatabases(serverUrl: string, names: readonly string[]): Promise<void> {
  for (const name of names) await dropDatabase(serverUrl, name).catch(() => undefined);
}

export async function serverVersion(serverUrl: string): Promise<string> {
  return withClient(
    serverUrl,
    async (client) => (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version,
  );
}

/**
 * Writes out the dirty pages earlier phases left, so that a checkpoint they
 * caused does not land in the next measured run. Needs a superuser (the local
 * Postgres has one); elsewhere it is skipped.
 */
export async function checkpoint(serverUrl: string): Promise<void> {
  await withClient(serverUrl, (client) => client.query('CHECKPOINT')).catch(() => undefined);
}
