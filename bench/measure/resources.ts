import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { withClient } from '../../scripts/infra/pg-admin.js';
import { round } from './throughput.js';

// What one throughput run cost beyond wall time: CPU time of the service's
// processes, of the local broker and of the local Postgres (from /proc, so
// other work on the machine is not counted), and the WAL Postgres wrote (the
// server-wide LSN: the benchmark's phases run one at a time on a server of
// their own). Divided by the events decided, these are the per-event costs
// docs/scaling.md sizes deployments with.

export interface ResourceUse {
  /** CPU ms per event, all of the run's service processes together; null where /proc is not available. */
  service_cpu_ms_per_event: number | null;
  /** null when the broker or Postgres runs elsewhere (KAFKA_BROKERS / DATABASE_URL). */
  kafka_cpu_ms_per_event: number | null;
  postgres_cpu_ms_per_event: number | null;
  wal_bytes_per_event: number | null;
}

/** Totals over the metered interval: CPU ms of each kind of process, WAL bytes; null where not measured. */
export interface ResourceTotals {
  service_cpu_ms: number | null;
  kafka_cpu_ms: number | null;
  postgres_cpu_ms: number | null;
  wal_bytes: number | null;
}

export interface ResourceMeter {
  /** Reads the counters again; call before the service processes exit (their CPU time goes with them). */
  finish(): Promise<ResourceTotals>;
}

export function perEventUse(totals: ResourceTotals, events: number): ResourceUse {
  const per = (value: number | null, digits: number) =>
    value === null || events === 0 ? null : round(value / events, digits);
  return {
    service_cpu_ms_per_event: per(totals.service_cpu_ms, 4),
    kafka_cpu_ms_per_event: per(totals.kafka_cpu_ms, 4),
    postgres_cpu_ms_per_event: per(totals.postgres_cpu_ms, 4),
    wal_bytes_per_event: per(totals.wal_bytes, 0),
  };
}

const ticksPerSecond = (() => {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(result.stdout) || 100;
})();

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces), 0-based from `state`. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** utime + stime of a process in ms; with `reaped`, also those of its children it has waited for. */
function cpuMs(pid: number, reaped = false): number | null {
  const fields = statFields(pid);
  if (!fields) return null;
  // After `state`: ppid is [1], utime [11], stime [12], cutime [13], cstime [14].
  const ticks = Number(fields[11]) + Number(fields[12]) + (reaped ? Number(fields[13]) + Number(fields[14]) : 0);
  return (ticks * 1000) / ticksPerSecond;
}

/**
 * Postgres forks a backend per connection; backends that exited are counted
 * in the postmaster's cutime/cstime once it reaped them, live ones by themselves.
 */
function postgresCpuMs(postmaster: number): number | null {
  const own = cpuMs(postmaster, true);
  if (own === null) return null;
  let children = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields?.[1] === String(postmaster)) children += cpuMs(Number(entry)) ?? 0;
  }
  return own + children;
}

const sum = (values: (number | null)[]): number | null =>
  values.some((value) => value === null) ? null : values.reduce<number>((total, value) => total + value!, 0);

async function walLsn(serverUrl: string): Promise<string | null> {
  return withClient(serverUrl, async (client) => {
    const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return rows[0]!.lsn;
  }).catch(() => null);
}

async function walBytesSince(serverUrl: string, from: string): Promise<number | null> {
  return withClient(serverUrl, async (client) => {
    const { rows } = await client.query<{ bytes: string }>(
      'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS bytes',
      [from],
    );
    return Number(rows[0]!.bytes);
  }).catch(() => null);
}

export async function startResourceMeter(options: {
  servicePids: readonly number[];
  kafkaPid: number | null;
  postgresPid: number | null;
  serverUrl: string;
}): Promise<ResourceMeter> {
  const read = () => ({
    service: sum(options.servicePids.map((pid) => cpuMs(pid))),
    kafka: options.kafkaPid === null ? null : cpuMs(options.kafkaPid),
    postgres: options.postgresPid === null ? null : postgresCpuMs(options.postgresPid),
  });
  const before = read();
  const lsn = await walLsn(options.serverUrl);
  return {
    async finish() {
      const after = read();
      const spent = (start: number | null, end: number | null) => (start === null || end === null ? null : end - start);
      return {
        service_cpu_ms: spent(before.service, after.service),
        kafka_cpu_ms: spent(before.kafka, after.kafka),
        postgres_cpu_ms: spent(before.postgres, after.postgres),
        wal_bytes: lsn === null ? null : await walBytesSince(options.serverUrl, lsn),
      };
    },
  };
}
