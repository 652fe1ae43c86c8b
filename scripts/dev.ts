import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaAnswers, startKafka } from './infra/kafka.js';
import { ensureDatabase, postgresAnswers, withDatabase, databaseName } from './infra/pg-admin.js';
import { LOCAL_DATABASE_URL, LOCAL_KAFKA_BROKERS, LOCAL_PORTS, localFiles } from './infra/paths.js';
import { startPostgres } from './infra/postgres.js';
import { exited } from './infra/process.js';
import { isPortListening, seconds, sleep } from './infra/wait.js';

// `npm run dev`: one foreground command for a working service on a developer
// machine. Uses KAFKA_BROKERS / DATABASE_URL when given, otherwise reuses or
// starts the local Kafka and Postgres (same ports and data as infra:up), then
// runs the service from source and stops everything it started on Ctrl-C.

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const startedAt = Date.now();
const httpPort = Number(process.env.HTTP_PORT || 8080);
const SERVICE_STOP_GRACE_MS = 30_000;

/** Infrastructure this process started (not what it reused), stopped on exit. */
const startedInfra: Array<{ name: string; stop(): Promise<void> }> = [];
let service: ChildProcess | undefined;
let shuttingDown = false;

async function kafkaBrokers(): Promise<string> {
  const configured = process.env.KAFKA_BROKERS;
  if (configured) {
    console.log(`Kafka: using KAFKA_BROKERS=${configured}`);
    return configured;
  }
  if (await isPortListening(LOCAL_PORTS.kafka)) {
    if (!(await kafkaAnswers(LOCAL_KAFKA_BROKERS))) {
      throw new Error(
        `Port ${LOCAL_PORTS.kafka} is in use but does not answer as Kafka; free it or set KAFKA_BROKERS.`,
      );
    }
    console.log(`Kafka: reusing the broker already running on ${LOCAL_KAFKA_BROKERS}`);
    return LOCAL_KAFKA_BROKERS;
  }
  const kafka = await startKafka({
    port: LOCAL_PORTS.kafka,
    controllerPort: LOCAL_PORTS.kafkaController,
    dataDir: localFiles.kafkaData(),
    logFile: localFiles.kafkaLog(),
  });
  startedInfra.push({ name: 'Kafka', stop: kafka.stop });
  return kafka.brokers;
}

async function databaseUrl(): Promise<string> {
  const configured = process.env.DATABASE_URL;
  if (configured) {
    console.log('Postgres: using DATABASE_URL from the environment');
    return configured;
  }
  if (await isPortListening(LOCAL_PORTS.postgres)) {
    if (!(await postgresAnswers(withDatabase(LOCAL_DATABASE_URL, 'postgres')))) {
      throw new Error(
        `Port ${LOCAL_PORTS.postgres} is in use but does not answer as Postgres (postgres/postgres); free it or set DATABASE_URL.`,
      );
    }
    await ensureDatabase(withDatabase(LOCAL_DATABASE_URL, 'postgres'), databaseName(LOCAL_DATABASE_URL));
    console.log(`Postgres: reusing the server already running on port ${LOCAL_PORTS.postgres}`);
    return LOCAL_DATABASE_URL;
  }
  const postgres = await startPostgres({
    port: LOCAL_PORTS.postgres,
    dataDir: localFiles.postgresData(),
    logFile: localFiles.postgresLog(),
    persistent: true,
  });
  startedInfra.push({ name: 'Postgres', stop: postgres.stop });
  return postgres.url;
}

async function stopStartedInfra(): Promise<void> {
  const stopping = startedInfra.splice(0).reverse();
  if (stopping.length > 0) console.log(`Stopping ${stopping.map((item) => item.name).join(' and ')}…`);
  await Promise.allSettled(stopping.map((item) => item.stop()));
}

/** Ctrl-C / SIGTERM: the service first (it finishes its batch), then our infrastructure. */
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (shuttingDown) {
    // A second Ctrl-C means "now".
    if (service?.pid !== undefined) service.kill('SIGKILL');
    return;
  }
  shuttingDown = true;
  console.log(`\n${signal}: stopping…`);
  const child = service;
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), SERVICE_STOP_GRACE_MS);
    await exited(child);
    clearTimeout(timer);
  }
  await stopStartedInfra();
  process.exit(0);
}

async function waitUntilReady(child: ChildProcess): Promise<boolean> {
  const url = `http://127.0.0.1:${httpPort}/health/ready`;
  let hinted = false;
  while (child.exitCode === null && child.signalCode === null && !shuttingDown) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    if (!hinted && Date.now() - startedAt > 90_000) {
      hinted = true;
      console.log(`Still waiting for ${url} to answer 200…`);
    }
    await sleep(300);
  }
  return false;
}

function printBanner(): void {
  const base = `http://localhost:${httpPort}`;
  console.log(`
──────────────────────────────────────────────────────────────────────
 contract-events-service is ready (start-up took ${seconds(startedAt)})
   HTTP sidecar  ${base}
   API docs      ${base}/docs
   Metrics       ${base}/metrics
 Try the worked example, in another terminal:
   1. curl -X POST localhost:${httpPort}/contracts -H 'content-type: application/json' \\
        -d '{"contract_number":"1234","components":["energy_supply","battery_optimization","heatpump_optimization"]}'
   2. npm run produce -- examples/events.jsonl
   3. npm run outcomes
   4. curl localhost:${httpPort}/contracts/1234/timeline
 Ctrl-C stops the service${startedInfra.length > 0 ? ` and the ${startedInfra.map((item) => item.name).join(' and ')} started for it` : ''}.
──────────────────────────────────────────────────────────────────────`);
}

async function main(): Promise<void> {
  process.on('SIGINT', (signal) => void shutdown(signal));
  process.on('SIGTERM', (signal) => void shutdown(signal));

  const entry = join(repoRoot, 'src', 'main.ts');
  if (!existsSync(entry)) throw new Error(`${entry} does not exist yet.`);
  // Both at once; allSettled so neither is left starting when the other fails.
  const [kafka, postgres] = await Promise.allSettled([kafkaBrokers(), databaseUrl()]);
  if (kafka.status === 'rejected') throw kafka.reason;
  if (postgres.status === 'rejected') throw postgres.reason;
  const [brokers, url] = [kafka.value, postgres.value];
  if (shuttingDown) return;

  service = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, KAFKA_BROKERS: brokers, DATABASE_URL: url, HTTP_PORT: String(httpPort) },
  });
  const child = service;
  child.once('exit', (code, signal) => {
    if (shuttingDown) return;
    // The service stopped by itself: clean up and pass its exit code on.
    shuttingDown = true;
    console.log(`The service exited (${signal ?? `code ${code}`}).`);
    void stopStartedInfra().then(() => process.exit(code ?? 1));
  });
  if (await waitUntilReady(child)) printBanner();
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  await stopStartedInfra();
  process.exit(1);
});
