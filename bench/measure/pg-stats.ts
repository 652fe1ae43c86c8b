import type pg from 'pg';
import { withClient } from '../../scripts/infra/pg-admin.js';

// Database round trips, counted by Postgres itself. pg_stat_statements counts
// every statement a client sent (BEGIN and COMMIT included, as utility
// statements), per database; node-postgres sends each statement as one
// Parse/Bind/Execute/Sync exchange, so statements = round trips. Each
// implementation runs in its own database, so nothing else is counted.

export interface StatementStat {
  query: string;
  calls: number;
  total_ms: number;
  mean_ms: number;
  rows: number;
}

export interface DatabaseStats {
  /** null when pg_stat_statements is not loaded on the server. */
  statements: StatementStat[] | null;
  round_trips: number | null;
  /** Committed transactions (pg_stat_database.xact_commit), single-statement ones included. */
  transactions: number;
}

/** Loads pg_stat_statements into the admin database when the server preloads it; false otherwise. */
export async function enableStatementStats(serverUrl: string): Promise<boolean> {
  return withClient(serverUrl, async (client) => {
    const preload = (await client.query<{ shared_preload_libraries: string }>('SHOW shared_preload_libraries')).rows[0]!
      .shared_preload_libraries;
    if (
      !preload
        .split(',')
        .map((name) => name.trim())
        .includes('pg_stat_statements')
    )
      return false;
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      return true;
    } catch {
      return false;
    }
  });
}

/** Statistics of one database; read after its clients disconnected, when Postgres has flushed them. */
export async function databaseStats(
  serverUrl: string,
  database: string,
  statementsAvailable: boolean,
): Promise<DatabaseStats> {
  return withClient(serverUrl, async (client) => {
    const transactions = await committedTransactions(client, database);
    if (!statementsAvailable) return { statements: null, round_trips: null, transactions };
    const { rows } = await client.query<StatementStat>(
      `SELECT regexp_replace(s.query, '\\s+', ' ', 'g') AS query, s.calls::int AS calls, round(s.total_exec_time::numeric, 1)::float AS total_ms,
              round(s.mean_exec_time::numeric, 3)::float AS mean_ms, s.rows::int AS rows
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
       WHERE d.datname = $1 ORDER BY s.total_exec_time DESC`,
      [database],
    );
    return { statements: rows, round_trips: rows.reduce((sum, row) => sum + row.calls, 0), transactions };
  });
}

async function committedTransactions(client: pg.Client, database: string): Promise<number> {
  // Backends flush their counters on exit; a short wait lets the last ones land.
  await client.query('SELECT pg_sleep(1.2)');
  await client.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await client.query<{ xact_commit: string }>(
    'SELECT xact_commit FROM pg_stat_database WHERE datname = $1',
    [database],
  );
  return Number(rows[0]?.xact_commit ?? 0);
}
