import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAFKA_VERSION, startKafka, type RunningKafka } from '../scripts/infra/kafka.js';
import { startPostgres, type RunningPostgres } from '../scripts/infra/postgres.js';
import { getFreePorts } from '../scripts/infra/wait.js';
import { withClient } from '../scripts/infra/pg-admin.js';
import { log } from './context.js';
import { enableStatementStats } from './measure/pg-stats.js';

// Kafka and Postgres for one benchmark run: KAFKA_BROKERS / DATABASE_URL when
// set, otherwise the project's local launchers on free ports with throw-away
// data. The local Postgres keeps its default durability (fsync, synchronous
// commit), as in production, and is restarted once to preload
// pg_stat_statements, which the embedded binaries ship.

export interface BenchInfra {
  brokers: string[];
  /** Any database on the server; benchmark databases are created next to it. */
  serverUrl: string;
  kafkaVersion: string;
  statementStats: boolean;
  description: string;
  /** Where logs and profiles of this run go. */
  workDir: string;
  /** The local broker's and postmaster's process ids, for their CPU time; null when they run elsewhere. */
  pids: { kafka: number | null; postgres: number | null };
  stop(): Promise<void>;
}

/** `postgresData`: a stopped cluster the local Postgres starts on a copy of (the filled database), instead of a new one. */
export async function provideInfra({ postgresData }: { postgresData?: string } = {}): Promise<BenchInfra> {
  const workDir = mkdtempSync(join(tmpdir(), 'contract-events-bench-'));
  chmodSync(workDir, 0o755); // as root, Postgres runs as user postgres and must enter it
  if (postgresData) {
    const started = Date.now();
    execFileSync('cp', ['-a', postgresData, join(workDir, 'postgres')]);
    log(`copied ${postgresData} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  const [kafkaPort, controllerPort, postgresPort] = (await getFreePorts(3)) as [number, number, number];
  const envBrokers = process.env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const envDatabase = process.env.DATABASE_URL || undefined;

  const [kafka, postgres] = await Promise.allSettled([
    envBrokers?.length
      ? Promise.resolve(undefined)
      : startKafka({
          port: kafkaPort,
          controllerPort,
          dataDir: join(workDir, 'kafka'),
          logFile: join(workDir, 'kafka.log'),
        }),
    envDatabase ? Promise.resolve(undefined) : startLocalPostgres(postgresPort, workDir),
  ]);
  const started = [kafka, postgres].flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  const stop = async () => {
    for (const service of started) await service.stop().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  };
  if (kafka.status === 'rejected' || postgres.status === 'rejected') {
    await stop();
    throw kafka.status === 'rejected' ? kafka.reason : (postgres as PromiseRejectedResult).reason;
  }
  const runningKafka: RunningKafka | undefined = kafka.value;
  const runningPostgres: RunningPostgres | undefined = postgres.value;
  const serverUrl = envDatabase ?? runningPostgres!.url;
  const statementStats = await enableStatementStats(serverUrl);
  return {
    brokers: envBrokers?.length ? envBrokers : [runningKafka!.brokers],
    serverUrl,
    kafkaVersion: runningKafka ? KAFKA_VERSION : 'external',
    statementStats,
    description: `${runningKafka ? `local Kafka ${KAFKA_VERSION}` : 'Kafka from KAFKA_BROKERS'}, ${runningPostgres ? 'local Postgres' : 'Postgres from DATABASE_URL'}`,
    workDir,
    pids: { kafka: runningKafka?.pid ?? null, postgres: runningPostgres?.pid ?? null },
    stop,
  };
}

/** Kafka alone, for benchmarks without a database (`client-ceiling.ts`): KAFKA_BROKERS, or a local broker. */
export async function provideKafka(): Promise<Pick<BenchInfra, 'brokers' | 'kafkaVersion' | 'description' | 'stop'>> {
  const envBrokers = process.env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (envBrokers?.length) {
    const description = 'Kafka from KAFKA_BROKERS';
    return { brokers: envBrokers, kafkaVersion: 'external', description, stop: async () => undefined };
  }
  const workDir = mkdtempSync(join(tmpdir(), 'contract-events-bench-'));
  const [port, controllerPort] = (await getFreePorts(2)) as [number, number];
  const stop = async (kafka?: RunningKafka) => {
    await kafka?.stop().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  };
  const files = { dataDir: join(workDir, 'kafka'), logFile: join(workDir, 'kafka.log') };
  const kafka = await startKafka({ port, controllerPort, ...files }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  const description = `local Kafka ${KAFKA_VERSION}`;
  return { brokers: [kafka.brokers], kafkaVersion: KAFKA_VERSION, description, stop: () => stop(kafka) };
}

/** Local Postgres, restarted once so that pg_stat_statements is preloaded. */
async function startLocalPostgres(port: number, workDir: string): Promise<RunningPostgres> {
  const options = {
    port,
    dataDir: join(workDir, 'postgres'),
    logFile: join(workDir, 'postgres.log'),
    persistent: true,
  };
  const first = await startPostgres(options);
  await withClient(first.url, (client) =>
    client.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`),
  );
  await first.stop(); // persistent: the data (and postgresql.auto.conf) stays for the restart
  return startPostgres(options);
}
