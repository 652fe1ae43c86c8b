import { redactCredentials, type Logger } from './logger.js';

export type CheckState = 'ok' | 'failing';

/** What /health/ready reports: each dependency's state, ready only when all are fine. Reasons go to the log only. */
export interface ReadinessReport {
  ready: boolean;
  checks: { database: CheckState; kafka: CheckState; consumer: CheckState };
}

type Dependency = keyof ReadinessReport['checks'];

export interface ReadinessProbes {
  pingDatabase(): Promise<unknown>;
  pingKafka(): Promise<unknown>;
  consumerStatus(): { running: boolean; healthy: boolean; lastError: string | null };
}

export interface ReadinessOptions {
  logger: Logger;
  /** A report is reused this long, so a flood of probes cannot become a flood of pings. */
  cacheMs?: number;
  /** A ping that has not answered by then counts as failing (a hung ping must not hang every probe that shares it). */
  timeoutMs?: number;
}

/** Why a dependency fails, or null when it is fine. */
type Finding = string | null;

interface CachedReport {
  report: Promise<ReadinessReport>;
  /** Unset while the check is in flight: callers meanwhile share it. */
  settledAt?: number;
}

/**
 * Probes the database and the broker in parallel and combines them with the
 * consumer's own state. Concurrent callers share one check; a dependency's
 * failure is logged with its reason when it starts and its recovery when it
 * ends, never once per probe.
 */
export function createReadinessCheck(
  probes: ReadinessProbes,
  options: ReadinessOptions,
): () => Promise<ReadinessReport> {
  const { logger, cacheMs = 1_000, timeoutMs = 5_000 } = options;
  const previous = new Map<Dependency, Finding>();

  const note = (dependency: Dependency, finding: Finding): CheckState => {
    const before = previous.get(dependency);
    previous.set(dependency, finding);
    if (finding !== null && (before === undefined || before === null)) {
      logger.warn({ dependency, reason: redactCredentials(finding) }, `readiness: ${dependency} is failing`);
    }
    if (finding === null && typeof before === 'string')
      logger.info({ dependency }, `readiness: ${dependency} is ok again`);
    return finding === null ? 'ok' : 'failing';
  };

  const check = async (): Promise<ReadinessReport> => {
    const [database, kafka] = await Promise.all([
      ping(probes.pingDatabase, timeoutMs),
      ping(probes.pingKafka, timeoutMs),
    ]);
    const checks = {
      database: note('database', database),
      kafka: note('kafka', kafka),
      consumer: note('consumer', consumerFinding(probes)),
    };
    return { ready: Object.values(checks).every((state) => state === 'ok'), checks };
  };

  let latest: CachedReport | undefined;
  return () => {
    if (latest && (latest.settledAt === undefined || Date.now() - latest.settledAt < cacheMs)) return latest.report;
    const entry: CachedReport = { report: check() };
    const settle = () => {
      entry.settledAt = Date.now();
    };
    void entry.report.then(settle, settle);
    latest = entry;
    return entry.report;
  };
}

async function ping(probe: () => Promise<unknown>, timeoutMs: number): Promise<Finding> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([probe(), timedOut]);
    return null;
  } catch (error) {
    // The last line of a driver's message names the cause.
    return error instanceof Error ? (error.message.trim().split('\n').at(-1) ?? error.name) : String(error);
  } finally {
    clearTimeout(timer);
  }
}

function consumerFinding(probes: ReadinessProbes): Finding {
  const { running, healthy, lastError } = probes.consumerStatus();
  if (!running) return lastError ?? 'not running';
  return healthy ? null : (lastError ?? 'retrying');
}
