import pg from 'pg';

// The few administrative statements the launcher and the test set-up need.

/** Same server, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** Runs `work` on a connection of its own, closed afterwards. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined); // a server shutting down must not crash us
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** True when `select 1` succeeds on `url`. */
export async function postgresAnswers(url: string): Promise<boolean> {
  try {
    return await withClient(url, async (client) => (await client.query('select 1')).rowCount === 1);
  } catch {
    return false;
  }
}

/** Creates `database` on the server of `serverUrl` unless it exists; true when created. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<boolean> {
  return withClient(serverUrl, async (client) => {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount) return false;
    try {
      await client.query(`create database ${client.escapeIdentifier(database)}`);
      return true;
    } catch (error) {
      // Someone else created it at the same moment.
      if ((error as { code?: string }).code === '42P04') return false;
      throw error;
    }
  });
}

/** Drops `database`, disconnecting whoever still uses it (Postgres 13+). */
export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  await withClient(serverUrl, (client) =>
    client.query(`drop database if exists ${client.escapeIdentifier(database)} with (force)`),
  );
}
