import { parseArgs } from 'node:util';

// `npm run bench -- --events 20000` and friends. Defaults are the workload.

export interface BenchOptions {
  events: number;
  contracts: number;
  partitions: number;
  /** The naive baseline is slow: measured on this prefix of the events, or until `naiveSeconds`. */
  naiveEvents: number;
  naiveSeconds: number;
  latencyRate: number;
  latencySeconds: number;
  /** Latency samples from inputs produced in the first seconds are left out (JIT and connection warm-up). */
  warmupSeconds: number;
  /** Write a V8 CPU profile of the service's throughput run and print its top costs. */
  cpuProf: boolean;
  /** A third transactional latency run, at half the maximum, with a CPU hog spinning on one core. */
  backgroundLoad: boolean;
  /** Also run the transactional service as two instances in one group (one more throughput run). */
  scaleOut: boolean;
  output: string;
  /** `--filled`: also measure on a database holding this much history (see filled/fill.ts); null without. */
  filled: { contracts: number; events: number } | null;
}

const USAGE = `usage: npm run bench -- [--events N] [--contracts N] [--naive-events N] [--naive-seconds S]
                          [--latency-rate R] [--latency-seconds S] [--cpu-prof] [--background-load] [--no-scale-out]
                          [--output FILE] [--filled [--fill-contracts N] [--fill-events N]]`;

export function readOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string', default: '200000' },
      contracts: { type: 'string', default: '5000' },
      'naive-events': { type: 'string' },
      'naive-seconds': { type: 'string', default: '60' },
      'latency-rate': { type: 'string', default: '2000' },
      'latency-seconds': { type: 'string', default: '30' },
      'warmup-seconds': { type: 'string', default: '3' },
      'cpu-prof': { type: 'boolean', default: false },
      'background-load': { type: 'boolean', default: false },
      'no-scale-out': { type: 'boolean', default: false },
      output: { type: 'string', default: 'bench/results/latest.json' },
      filled: { type: 'boolean', default: false },
      'fill-contracts': { type: 'string', default: '1000000' },
      'fill-events': { type: 'string', default: '10000000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`--${name} must be a positive integer (got ${text})\n${USAGE}`);
    return value;
  };
  const events = int('events', values.events);
  return {
    events,
    contracts: int('contracts', values.contracts),
    partitions: 6,
    naiveEvents: Math.min(events, int('naive-events', values['naive-events'] ?? '20000')),
    naiveSeconds: int('naive-seconds', values['naive-seconds']),
    latencyRate: int('latency-rate', values['latency-rate']),
    latencySeconds: int('latency-seconds', values['latency-seconds']),
    warmupSeconds: Number(values['warmup-seconds']),
    cpuProf: values['cpu-prof'],
    backgroundLoad: values['background-load'],
    scaleOut: !values['no-scale-out'],
    output: values.output,
    filled: values.filled
      ? {
          contracts: int('fill-contracts', values['fill-contracts']),
          events: int('fill-events', values['fill-events']),
        }
      : null,
  };
}
