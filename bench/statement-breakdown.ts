import type { StatementStat } from './measure/pg-stats.js';

// pg_stat_statements of a run's database, printed under the table: where the
// database's time went, statement by statement, so db-limit and pg-limit can
// be held side by side.

/** Lines for one run: total time, calls and rows per statement, the costliest first. */
function statementLines(title: string, statements: readonly StatementStat[] | null): string[] {
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

type WithStatements = { statements: readonly StatementStat[] | null };

/** db-limit's and pg-limit's breakdowns, one under the other; `on` names the database when it is not the empty one. */
export function limitBreakdowns(runs: { db_limit: WithStatements; pg_limit: WithStatements }, on = ''): string {
  return [
    statementLines(`db-limit statements${on}`, runs.db_limit.statements).join('\n'),
    statementLines(`pg-limit statements${on}`, runs.pg_limit.statements).join('\n'),
  ].join('\n\n');
}
