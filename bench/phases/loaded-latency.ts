import { startCpuHog } from '../measure/cpu-hog.js';
import type { BenchContext } from '../context.js';
import { runServiceLatency, type ServiceLatency } from './service.js';

/** The transactional service at half its maximum while a CPU hog keeps one core busy (`--background-load`). */
export async function runLoadedLatency(context: BenchContext, eventsPerS: number): Promise<ServiceLatency> {
  const hog = startCpuHog();
  try {
    return await runServiceLatency(context, 'transactional', { name: 'latency_half_max_loaded', eventsPerS });
  } finally {
    await hog.stop();
  }
}
