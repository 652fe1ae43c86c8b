/** Reports progress on long runs: at most one line per interval, on stderr, so stdout stays the result. */
export interface Progress {
  (done: number, total: number): void;
}

export function progressLine(
  verb: string,
  unit: string,
  {
    intervalMs = 2_000,
    write = (line: string) => void process.stderr.write(line),
    now = Date.now,
  }: { intervalMs?: number; write?: (line: string) => void; now?: () => number } = {},
): Progress {
  let last = now();
  return (done, total) => {
    if (now() - last < intervalMs) return;
    last = now();
    write(`${verb} ${done} of ${total} ${unit}\n`);
  };
}
