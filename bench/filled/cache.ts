import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withClient, withDatabase } from '../../scripts/infra/pg-admin.js';
import { startPostgres } from '../../scripts/infra/postgres.js';
import { getFreePorts } from '../../scripts/infra/wait.js';
import { applyMigrations } from '../../src/store/migrations.js';
import { log } from '../context.js';
import { fillDatabase, type FillSize } from './fill.js';

// The filled database is built once and kept outside the repository as a
// stopped Postgres data directory (the cluster holding the database
// FILLED_DATABASE), keyed by the migrations, the fill's own code and its size:
// a schema change builds a new one. A run starts its Postgres on a copy of it
// (`cp -a`, disk speed), so the cache itself is never written to. Restoring a
// dump instead would load every row and rebuild every index again, which is
// most of what the fill itself costs.

export const FILLED_DATABASE = 'bench_filled';

export interface FilledCluster {
  dataDir: string;
  /** Seconds the fill took in this run; null when the cache had it. */
  fillSeconds: number | null;
  sizeGib: number;
}

export async function filledCluster(size: FillSize): Promise<FilledCluster> {
  const dir = join(homedir(), '.cache', 'contract-events-service', 'bench', `filled-${cacheKey(size)}`);
  const dataDir = join(dir, 'pgdata');
  let fillSeconds: number | null = null;
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`filled database: cached in ${dir}`);
  } else {
    const started = Date.now();
    const staging = await buildCluster(size);
    mkdirSync(dir, { recursive: true });
    rmSync(dataDir, { recursive: true, force: true });
    try {
      renameSync(staging, dataDir);
    } catch {
      execFileSync('cp', ['-a', staging, dataDir]); // another file system
    }
    rmSync(join(staging, '..'), { recursive: true, force: true });
    fillSeconds = Math.round((Date.now() - started) / 1000);
    log(`filled database: built in ${fillSeconds} s, cached in ${dir}`);
  }
  const sizeGib = Number(execFileSync('du', ['-sb', dataDir], { encoding: 'utf8' }).split('\t')[0]) / 2 ** 30;
  return { dataDir, fillSeconds, sizeGib: Math.round(sizeGib * 100) / 100 };
}

function cacheKey(size: FillSize): string {
  const hash = createHash('sha256');
  const migrations = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));
  for (const name of readdirSync(migrations).sort()) {
    const file = join(migrations, name, 'migration.sql');
    if (existsSync(file)) hash.update(name).update(readFileSync(file));
  }
  hash.update(readFileSync(fileURLToPath(new URL('fill.ts', import.meta.url))));
  return `${size.contracts}c-${size.events}e-${hash.digest('hex').slice(0, 16)}`;
}

/** A Postgres of its own, durability off while it loads; returns its stopped data directory. */
async function buildCluster(size: FillSize): Promise<string> {
  const workDir = mkdtempSync(join(tmpdir(), 'contract-events-fill-'));
  chmodSync(workDir, 0o755); // as root, Postgres runs as user postgres and must enter it
  const dataDir = join(workDir, 'pgdata');
  const [port] = (await getFreePorts(1)) as [number];
  const postgres = await startPostgres({ port, dataDir, logFile: join(workDir, 'postgres.log'), persistent: true });
  try {
    await withClient(postgres.url, async (client) => {
      for (const setting of ['fsync = off', 'full_page_writes = off', `max_wal_size = '8GB'`])
        await client.query(`ALTER SYSTEM SET ${setting}`);
      await client.query('SELECT pg_reload_conf()');
      await client.query(`CREATE DATABASE ${FILLED_DATABASE}`);
    });
    const url = withDatabase(postgres.url, FILLED_DATABASE);
    await applyMigrations(url);
    log(`fill: ${size.contracts} contracts, ${size.events} events`);
    await fillDatabase(url, size);
    // Back to the defaults a run's Postgres keeps (fsync and all). A checkpoint under them leaves the load's
    // WAL (up to 8 GB, every run would copy it) to the default max_wal_size of 1 GB.
    await withClient(postgres.url, async (client) => {
      await client.query('ALTER SYSTEM RESET ALL');
      await client.query('SELECT pg_reload_conf()');
      await client.query('CHECKPOINT');
    });
  } finally {
    await postgres.stop();
  }
  execFileSync('sync');
  return dataDir;
}
