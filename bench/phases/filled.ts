import { withClient, withDatabase } from '../../scripts/infra/pg-admin.js';
import type { Config } from '../../src/config.js';
import { log, type BenchContext } from '../context.js';
import { dropDatabases } from '../database.js';
import type { Throughput } from '../measure/throughput.js';
import { limitBreakdowns } from '../statement-breakdown.js';
import { FILLED_DATABASE, type FilledCluster } from '../filled/cache.js';
import type { FillSize } from '../filled/fill.js';
import { runDbLimit, type DbLimit } from './db-limit.js';
import { runPgLimit, type PgLimit } from './pg-limit.js';
import { runServiceThroughput, type ServiceThroughput } from './service.js';

// `--filled`: the database phases and the service's throughput once more, on
// a database that already holds a realistic history (filled/fill.ts), beside
// the figures on the empty one. The run's Postgres was started on a copy of
// the cached cluster; the workload's contracts are added to its filled
// database, which then is the template each phase copies, like the empty one.

export interface FilledResults {
  /** copy_and_start_s: from copying the cached cluster to Postgres and Kafka answering. */
  fill: FillSize & { database_gib: number; fill_s: number | null; copy_and_start_s: number };
  db_limit: DbLimit;
  pg_limit: PgLimit;
  service: ServiceThroughput;
  service_at_least_once: ServiceThroughput;
}

export async function runFilledPhases(
  context: BenchContext,
  config: Config,
  cluster: FilledCluster & { size: FillSize; copyAndStartSeconds: number },
): Promise<FilledResults> {
  await addWorkloadContracts(withDatabase(context.infra.serverUrl, FILLED_DATABASE), context);
  // Its own names (databases, groups, topics), the filled database as the template.
  const filled: BenchContext = { ...context, runId: `${context.runId}_filled`, templateDatabase: FILLED_DATABASE };
  // A copy of the filled database is as large as it: each goes once its phase is done.
  const once = async <T>(phase: () => Promise<T>): Promise<T> => {
    const before = context.createdDatabases.length;
    const result = await phase();
    await dropDatabases(context.infra.serverUrl, context.createdDatabases.splice(before));
    return result;
  };
  const dbLimit = await once(() => runDbLimit(filled, config));
  const pgLimit = await once(() => runPgLimit(filled, config));
  const service = await once(() => runServiceThroughput(filled, 'transactional', null));
  const serviceAtLeastOnce = await once(() => runServiceThroughput(filled, 'at-least-once', null));
  return {
    fill: {
      ...cluster.size,
      database_gib: cluster.sizeGib,
      fill_s: cluster.fillSeconds,
      copy_and_start_s: cluster.copyAndStartSeconds,
    },
    db_limit: dbLimit,
    pg_limit: pgLimit,
    service,
    service_at_least_once: serviceAtLeastOnce,
  };
}

async function addWorkloadContracts(url: string, context: BenchContext): Promise<void> {
  const contracts = context.dataset.contracts;
  await withClient(url, async (client) => {
    await client.query(
      `INSERT INTO contracts (contract_number, components)
       SELECT n, c::component_type[] FROM unnest($1::text[], $2::text[]) AS t(n, c)`,
      [contracts.map((c) => c.contractNumber), contracts.map((c) => `{${c.components.join(',')}}`)],
    );
    await client.query('VACUUM ANALYZE contracts');
  });
  log(`filled database: ${contracts.length} workload contracts added`);
}

/** The filled run's figures beside the empty database's (db-limit, pg-limit, service in both modes), then its breakdowns. */
export function filledText(
  filled: FilledResults,
  empty: readonly [Throughput, Throughput, Throughput, Throughput],
): string {
  const { fill } = filled;
  const runs = [filled.db_limit, filled.pg_limit, filled.service, filled.service_at_least_once];
  const names = ['db-limit', 'pg-limit', 'service (transactional)', 'service (at-least-once)'];
  const fmt = (value: number) => value.toLocaleString('en-US');
  const rows = runs.map(
    (run, i) =>
      `  ${names[i]!.padEnd(26)} ${fmt(empty[i]!.events_per_s).padStart(9)} ${fmt(run.events_per_s).padStart(9)}  ${(run.events_per_s / empty[i]!.events_per_s).toFixed(2)}×`,
  );
  return [
    `on a filled database (${fmt(fill.contracts)} contracts, ${fmt(fill.events)} audited events, ${fill.database_gib} GiB; ${fill.fill_s === null ? 'from the cache' : `filled in ${fill.fill_s} s`}, infrastructure up in ${fill.copy_and_start_s} s with the copy):`,
    `  ${'events/s'.padEnd(26)} ${'empty'.padStart(9)} ${'filled'.padStart(9)}  filled ÷ empty`,
    ...rows,
    `  db-limit ÷ pg-limit on the filled database: ${(filled.db_limit.events_per_s / filled.pg_limit.events_per_s).toFixed(2)}×`,
    '',
    limitBreakdowns(filled, ' (filled)'),
  ].join('\n');
}
