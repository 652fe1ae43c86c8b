// Issue 11's targets, checked on one run's figures (the transactional
// service, the shipped default). Pure, so the arithmetic is tested by hand.

/** The measured figures the targets are held against. */
export interface TargetFigures {
  serviceEventsPerS: number;
  ceilingEventsPerS: number;
  combinedLimitEventsPerS: number;
  naiveEventsPerS: number;
  /** The same service with OUTCOME_DELIVERY=at-least-once: what exactly-once may cost. */
  atLeastOnceEventsPerS: number;
  dbLimitEventsPerS: number;
  pgLimitEventsPerS: number;
  p99At2000Ms: number;
  p99AtHalfMaxMs: number;
  /** Measured with `--background-load` only: without it there is no such target. */
  p99AtHalfMaxLoadedMs?: number;
  peakRssMb: number;
  /** null when pg_stat_statements is not loaded: the target then counts as missed. */
  dbRoundTripsPerEvent: number | null;
}

export interface TargetCheck {
  what: string;
  comparison: '>=' | '<=';
  threshold: number;
  /** '×' for ratios. */
  unit: string;
  value: number | null;
  met: boolean;
}

export type TargetName =
  | 'service_vs_ceiling'
  | 'service_vs_combined_limit'
  | 'p99_at_2000_ms'
  | 'p99_at_half_max_ms'
  | 'p99_at_half_max_loaded_ms'
  | 'peak_rss_mb'
  | 'db_round_trips_per_event'
  | 'service_vs_naive'
  | 'transactional_vs_at_least_once'
  | 'db_limit_vs_pg_limit';

/**
 * Kafka and Postgres share the machine, so each event costs the time of both:
 * the rates combine like resistors in parallel, 1 / (1/ceiling + 1/db_limit).
 */
export function combinedLimit(ceilingEventsPerS: number, dbLimitEventsPerS: number): number {
  return Math.round(1 / (1 / ceilingEventsPerS + 1 / dbLimitEventsPerS));
}

const atLeast = (what: string, value: number, threshold: number, unit: string): TargetCheck => ({
  what,
  comparison: '>=',
  threshold,
  unit,
  value,
  met: value >= threshold,
});

const atMost = (what: string, value: number | null, threshold: number, unit: string): TargetCheck => ({
  what,
  comparison: '<=',
  threshold,
  unit,
  value,
  met: value !== null && value <= threshold,
});

const ratio = (value: number, of: number): number => Math.round((value / of) * 1000) / 1000;

/** Every target, but the loaded latency one only when that run was made. */
export type TargetChecks = Record<Exclude<TargetName, 'p99_at_half_max_loaded_ms'>, TargetCheck> &
  Partial<Record<'p99_at_half_max_loaded_ms', TargetCheck>>;

export function checkTargets(figures: TargetFigures): TargetChecks {
  const loaded = figures.p99AtHalfMaxLoadedMs;
  return {
    service_vs_ceiling: atLeast(
      'service / ceiling',
      ratio(figures.serviceEventsPerS, figures.ceilingEventsPerS),
      0.5,
      '×',
    ),
    service_vs_combined_limit: atLeast(
      'service / combined limit',
      ratio(figures.serviceEventsPerS, figures.combinedLimitEventsPerS),
      0.8,
      '×',
    ),
    p99_at_2000_ms: atMost('p99 at 2,000 events/s', figures.p99At2000Ms, 250, 'ms'),
    p99_at_half_max_ms: atMost('p99 at half the service max', figures.p99AtHalfMaxMs, 250, 'ms'),
    ...(loaded === undefined
      ? {}
      : { p99_at_half_max_loaded_ms: atMost('p99 at half max, 1 core hogged', loaded, 250, 'ms') }),
    peak_rss_mb: atMost('peak RSS', Math.round(figures.peakRssMb), 300, 'MiB'),
    db_round_trips_per_event: atMost('DB round trips / event', figures.dbRoundTripsPerEvent, 0.1, ''),
    service_vs_naive: atLeast('service / naive', ratio(figures.serviceEventsPerS, figures.naiveEventsPerS), 10, '×'),
    transactional_vs_at_least_once: atLeast(
      'transactional / at-least-once',
      ratio(figures.serviceEventsPerS, figures.atLeastOnceEventsPerS),
      0.85,
      '×',
    ),
    // The service's SQL against plain INSERTs of the same rows: what its reads and logic cost the database.
    db_limit_vs_pg_limit: atLeast(
      'db-limit / pg-limit',
      ratio(figures.dbLimitEventsPerS, figures.pgLimitEventsPerS),
      0.5,
      '×',
    ),
  };
}

/** "≥ 0.5×", "≤ 250 ms". */
export function describeTarget(check: TargetCheck): string {
  return `${check.comparison === '>=' ? '≥' : '≤'} ${withUnit(check.threshold, check.unit)}`;
}

/** How far a missed target is from its threshold: a factor for "at least", a difference for "at most". */
export function shortfall(check: TargetCheck): string | null {
  if (check.met || check.value === null) return null;
  if (check.comparison === '>=') return `${(check.threshold / check.value).toFixed(1)}× short`;
  return `${withUnit(Math.round((check.value - check.threshold) * 1000) / 1000, check.unit)} over`;
}

export const withUnit = (value: number, unit: string): string =>
  unit === '' || unit === '×' ? `${value}${unit}` : `${value} ${unit}`;
