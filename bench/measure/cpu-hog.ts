import { spawn } from 'node:child_process';

// `--background-load`: another program keeps one core busy while a latency
// run is measured, as a neighbour on a shared machine would. A child process
// spinning in a loop (one thread: one core), killed when the run is over.

export interface CpuHog {
  stop(): Promise<void>;
}

export function startCpuHog(): CpuHog {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
