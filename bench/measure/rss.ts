import { readFileSync } from 'node:fs';

// Memory of a child process from /proc: VmHWM is the kernel's own peak of
// resident memory, so short spikes between samples are not missed.

export interface RssSampler {
  /** Peak resident set size so far, in MiB (0 once the process is gone and never sampled). */
  peakMb(): number;
  stop(): number;
}

export function sampleRss(pid: number, intervalMs = 250): RssSampler {
  let peakKb = 0;
  const sample = () => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // The process has exited; keep the last peak.
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    peakMb: () => peakKb / 1024,
    stop() {
      sample();
      clearInterval(timer);
      return peakKb / 1024;
    },
  };
}
