import { mkdirSync } from 'node:fs';
import { kafkaAnswers, startKafka } from './kafka.js';
import { postgresAnswers } from './pg-admin.js';
import { LOCAL_DATABASE_URL, LOCAL_KAFKA_BROKERS, LOCAL_PORTS, localFiles, localInfraDir } from './paths.js';
import { startPostgres } from './postgres.js';
import { commandLineContains, isAlive, readPidFile, removePidFile, stopProcess, writePidFile } from './process.js';
import { isPortListening, seconds } from './wait.js';

// `npm run infra:up | infra:down | infra:status`: the local Kafka and Postgres
// as background processes that outlive this command, with pid files and logs
// under the state directory and data kept between runs.

interface Service {
  name: string;
  pidFile: string;
  logFile: string;
  /** Text expected in the process command line, so a stale pid file never kills a stranger. */
  commandMarker: string;
  port: number;
  stopSignal: NodeJS.Signals;
  answers(): Promise<boolean>;
  start(): Promise<number | undefined>;
}

const services: Service[] = [
  {
    name: 'Kafka',
    pidFile: localFiles.kafkaPid(),
    logFile: localFiles.kafkaLog(),
    commandMarker: 'kafka.Kafka',
    port: LOCAL_PORTS.kafka,
    stopSignal: 'SIGTERM',
    answers: () => kafkaAnswers(LOCAL_KAFKA_BROKERS),
    start: async () =>
      (
        await startKafka({
          port: LOCAL_PORTS.kafka,
          controllerPort: LOCAL_PORTS.kafkaController,
          dataDir: localFiles.kafkaData(),
          logFile: localFiles.kafkaLog(),
          detached: true,
        })
      ).pid,
  },
  {
    name: 'Postgres',
    pidFile: localFiles.postgresPid(),
    logFile: localFiles.postgresLog(),
    commandMarker: 'postgres',
    port: LOCAL_PORTS.postgres,
    stopSignal: 'SIGINT', // Postgres' "fast" shutdown; SIGTERM would wait for every client to leave
    answers: () => postgresAnswers(LOCAL_DATABASE_URL),
    start: async () =>
      (
        await startPostgres({
          port: LOCAL_PORTS.postgres,
          dataDir: localFiles.postgresData(),
          logFile: localFiles.postgresLog(),
          persistent: true,
          detached: true,
        })
      ).pid,
  },
];

/** The pid from the pid file when that process is still ours and alive. */
function runningPid(service: Service): number | undefined {
  const pid = readPidFile(service.pidFile);
  if (pid !== undefined && isAlive(pid) && commandLineContains(pid, service.commandMarker)) return pid;
  if (pid !== undefined) removePidFile(service.pidFile); // stale
  return undefined;
}

async function up(service: Service): Promise<void> {
  const pid = runningPid(service);
  if (pid !== undefined) {
    console.log(`${service.name} already running (pid ${pid}).`);
    return;
  }
  if (await isPortListening(service.port)) {
    // Started by someone else (e.g. `npm run dev`): fine if it answers.
    if (await service.answers()) {
      console.log(`${service.name} already answers on port ${service.port} (not started by infra:up; leaving it alone).`);
      return;
    }
    throw new Error(`Port ${service.port} is taken by something that is not a working ${service.name}.`);
  }
  const started = await service.start();
  if (started !== undefined) writePidFile(service.pidFile, started);
}

async function down(service: Service): Promise<boolean> {
  const pid = runningPid(service);
  if (pid === undefined) return false;
  const started = Date.now();
  await stopProcess(pid, service.stopSignal, 30_000);
  removePidFile(service.pidFile);
  console.log(`Stopped ${service.name} (pid ${pid}) in ${seconds(started)}.`);
  return true;
}

async function status(service: Service): Promise<void> {
  const pid = runningPid(service);
  const answering = await service.answers();
  const owner = pid === undefined ? (answering ? 'running, not started by infra:up' : 'not running') : `running (pid ${pid})`;
  console.log(`${service.name.padEnd(9)} ${owner}${answering ? ', answering' : pid === undefined ? '' : ', NOT answering'} — log ${service.logFile}`);
}

function printSettings(): void {
  console.log(`\nUse these settings (they are also the service's defaults):
  KAFKA_BROKERS=${LOCAL_KAFKA_BROKERS}
  DATABASE_URL=${LOCAL_DATABASE_URL}
Data, logs and pid files: ${localInfraDir()} (Postgres data: ${localFiles.postgresData()})
Stop with: npm run infra:down`);
}

async function main(command: string | undefined): Promise<void> {
  mkdirSync(localInfraDir(), { recursive: true });
  switch (command) {
    case 'up': {
      const started = Date.now();
      // Both at once: the JVM and initdb are independent and each take seconds.
      const results = await Promise.allSettled(services.map(up));
      const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failures.length > 0) {
        for (const failure of failures) console.error(String(failure.reason instanceof Error ? failure.reason.message : failure.reason));
        console.error('\nSome infrastructure did not start; `npm run infra:down` stops what did.');
        process.exitCode = 1;
        return;
      }
      console.log(`Infrastructure up in ${seconds(started)}.`);
      printSettings();
      return;
    }
    case 'down': {
      const stopped = await Promise.all(services.map(down));
      if (!stopped.some(Boolean)) console.log('Nothing started by infra:up is running.');
      return;
    }
    case 'status':
      for (const service of services) await status(service);
      return;
    default:
      console.error('usage: tsx scripts/infra/cli.ts up|down|status');
      process.exitCode = 2;
  }
}

await main(process.argv[2]);
