import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface FloodOptions {
  /** The service's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Concurrent clients, each with a contract of its own: `${contractPrefix}${i}` for i < clients. */
  clients: number;
  contractPrefix: string;
  /** A request with no answer after this long counts as a failure ("no answer in time"). */
  answerWithinMs: number;
}

export interface FloodSummary {
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  /** Requests that got no answer, by reason. */
  failures: Record<string, number>;
  slowestMs: number;
}

export interface HttpFlood {
  /** Resolves at the first answer. */
  flowing: Promise<void>;
  /** Lets each client finish its request in hand, then tells what they got. */
  stop(): Promise<FloodSummary>;
  /** Ends the flood at once (for clean-up after a failure). */
  kill(): void;
}

const CLIENT_SCRIPT = fileURLToPath(new URL('./http-flood-client.ts', import.meta.url));

/** Starts a flood of POST /events from a child process (see http-flood-client.ts). */
export function startHttpFlood(options: FloodOptions): HttpFlood {
  const child = spawn(process.execPath, ['--import', 'tsx', CLIENT_SCRIPT], {
    env: { ...process.env, HTTP_FLOOD_OPTIONS: JSON.stringify(options) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let last = '';
  let onFlowing: () => void = () => undefined;
  const flowing = new Promise<void>((resolve, reject) => {
    onFlowing = resolve;
    void exited.then((code) => reject(new Error(`the flood client exited (code ${code}) before any answer`)));
  });
  lines.on('line', (line) => {
    if (line === 'flooding') onFlowing();
    else last = line;
  });
  return {
    flowing,
    async stop() {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`the flood client exited with code ${code}`);
      return JSON.parse(last) as FloodSummary;
    },
    kill: () => child.kill('SIGKILL'),
  };
}
