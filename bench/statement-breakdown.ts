import type { StatementStat } from './measure/pg-stats.js';

// pg_stat_statements of a run's database, printed under the table: where the
// database's time went, statement by statement, so db-limit and pg-limit can
// be held side by side.

/** Lines for one run: total time, calls and rows per statement, the costliest first. */
export function statementLines(title: string, statements: readonly StatementStat[] | null): string[] {
  if (statements === null) return [`${title}: pg_stat_statements unavailable`];
  const total = statements.reduce((sum, s) => sum + s.total_ms, 0);
  return [
    `${title}: ${Math.round(total)} ms in statements`,
    ...statements.map(
      (s) =>
        `  ${s.total_ms.toFixed(0).padStart(7)} ms ${`${((s.total_ms / Math.max(1, total)) * 100).toFixed(1)}%`.padStart(6)}  ${String(s.calls).padStart(6)} calls ${String(s.rows).padStart(8)} rows  ${s.query.slice(0, 110)}`,
    ),
  ];
}
