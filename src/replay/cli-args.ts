import { parseArgs } from 'node:util';
import { parseInstant, type Micros } from '../domain/timestamp.js';

export type ReplayCommand =
  | { command: 'check' | 'repair'; contract?: string }
  | { command: 'republish'; from: Micros; to: Micros }
  | { command: 'help' };

export const USAGE = `Usage:
  npm run replay -- --check [--contract <number>]
      Recompute every live contract's component states from the audit (in EVENT_ORDER) and compare
      them with the stored ones. Exit 0 when they agree, 1 with every difference listed.
  npm run replay -- --repair [--contract <number>]
      The same check, then rewrite the differing states: one transaction per contract, under the
      consumer's row lock, so it is safe while the service runs. Exit 0 when all were repaired.
  npm run replay -- --republish --from <instant> --to <instant>
      Publish again, to OUTCOMES_TOPIC, the outcome of every decision made in [from, to), marked
      replay: true. Instants are ISO 8601 (no offset means UTC).

Settings come from the environment, as for the service (DATABASE_URL, EVENT_ORDER, KAFKA_*, OUTCOMES_TOPIC).
Exit codes: 0 done, 1 differences found, 2 usage or configuration error, 3 the run failed.`;

/** A mistake in the command line; the message says what to change. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const COMMANDS = ['check', 'repair', 'republish'] as const;

export function parseReplayArgs(args: readonly string[]): ReplayCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        check: { type: 'boolean' },
        repair: { type: 'boolean' },
        republish: { type: 'boolean' },
        contract: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { command: 'help' };
  const chosen = COMMANDS.filter((command) => values[command]);
  if (chosen.length !== 1) throw new UsageError('Give exactly one of --check, --repair and --republish.');
  const command = chosen[0]!;
  if (command === 'republish') {
    if (values.contract !== undefined)
      throw new UsageError('--contract goes with --check or --repair, not --republish.');
    if (values.from === undefined || values.to === undefined)
      throw new UsageError('--republish needs --from <instant> and --to <instant>.');
    const from = instant('--from', values.from);
    const to = instant('--to', values.to);
    if (from >= to)
      throw new UsageError(
        `--from (${values.from}) must be before --to (${values.to}): from is inclusive, to exclusive.`,
      );
    return { command, from, to };
  }
  if (values.from !== undefined || values.to !== undefined)
    throw new UsageError('--from and --to go with --republish.');
  if (values.contract === undefined) return { command };
  if (values.contract === '') throw new UsageError('--contract needs a contract number.');
  return { command, contract: values.contract };
}

function instant(option: string, text: string): Micros {
  const micros = parseInstant(text);
  if (micros === undefined)
    throw new UsageError(`${option}: ${JSON.stringify(text)} is not an ISO 8601 instant (e.g. 2026-11-27T07:30:00Z).`);
  return micros;
}
