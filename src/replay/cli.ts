import { ConfigError, loadConfig, type Config } from '../config.js';
import { formatInstant } from '../domain/timestamp.js';
import { parseReplayArgs, USAGE, UsageError, type ReplayCommand } from './cli-args.js';
import { checkConsistency } from './consistency-check.js';
import { failureText } from './failure-text.js';
import { progressLine } from './progress.js';
import { repairStates } from './repair.js';
import { checkSummary, differenceLine, repairLine, repairSummary, republishSummary } from './report.js';
import { republishOutcomes } from './republish.js';

// `npm run replay -- --check | --repair | --republish`: see USAGE. Results
// go to stdout, progress and errors to stderr.

const EXIT_OK = 0;
const EXIT_DIFFERENCES = 1;
const EXIT_USAGE = 2;
const EXIT_FAILED = 3;

const out = (line: string) => void process.stdout.write(`${line}\n`);
const err = (line: string) => void process.stderr.write(`${line}\n`);

async function main(args: readonly string[]): Promise<number> {
  let command: ReplayCommand;
  let config: Config;
  try {
    command = parseReplayArgs(args);
    if (command.command === 'help') {
      out(USAGE);
      return EXIT_OK;
    }
    config = loadConfig();
  } catch (error) {
    if (error instanceof UsageError) err(`${error.message} (npm run replay -- --help for usage)`);
    else if (error instanceof ConfigError) err(error.message);
    else throw error;
    return EXIT_USAGE;
  }
  try {
    return await run(command, config);
  } catch (error) {
    err(`replay failed: ${failureText(error)}`);
    return EXIT_FAILED;
  }
}

async function run(command: Exclude<ReplayCommand, { command: 'help' }>, config: Config): Promise<number> {
  const eventOrder = config.EVENT_ORDER;
  if (command.command === 'republish') {
    const result = await republishOutcomes({
      config,
      from: command.from,
      to: command.to,
      onProgress: progressLine('republished', 'outcomes'),
    });
    out(republishSummary(result, formatInstant(command.from), formatInstant(command.to)));
    return EXIT_OK;
  }
  const options = {
    databaseUrl: config.DATABASE_URL,
    eventOrder,
    contract: command.contract,
    onProgress: progressLine('checked', 'contracts'),
  };
  if (command.command === 'check') {
    const result = await checkConsistency(options);
    if (noSuchContract(command.contract, result.contracts)) return EXIT_USAGE;
    for (const difference of result.differences) out(differenceLine(difference));
    out(checkSummary(result));
    return result.differences.length === 0 ? EXIT_OK : EXIT_DIFFERENCES;
  }
  const result = await repairStates({ ...options, onRepairProgress: progressLine('repaired', 'contracts') });
  if (noSuchContract(command.contract, result.check.contracts)) return EXIT_USAGE;
  for (const difference of result.repaired) out(repairLine(difference));
  out(repairSummary(result));
  return EXIT_OK;
}

function noSuchContract(contract: string | undefined, checked: number): boolean {
  if (contract === undefined || checked > 0) return false;
  err(`There is no live contract ${JSON.stringify(contract)}.`);
  return true;
}

// Exit at once: nothing the run opened is still needed, and a stray handle must not keep the process alive.
process.exit(await main(process.argv.slice(2)));
