import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `npm run test:mutation [-- folder… [--stryker-option value…]]` runs StrykerJS (stryker.config.mjs) over each
// folder of src the unit project covers, one folder at a time: each folder keeps its own committed incremental
// file, because Stryker writes into it only the files of the run that wrote it, and docs/testing.md records a
// score per folder. Options from the first `--…` on go to Stryker, e.g. `processing --mutate src/processing/refold.ts`.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FOLDERS = ['domain', 'processing', 'http', 'kafka'] as const;

const args = process.argv.slice(2);
const firstOption = args.findIndex((arg) => arg.startsWith('--'));
const requested = firstOption === -1 ? args : args.slice(0, firstOption);
const strykerOptions = firstOption === -1 ? [] : args.slice(firstOption);
const unknown = requested.filter((folder) => !(FOLDERS as readonly string[]).includes(folder));
if (unknown.length > 0) {
  console.error(`usage: tsx scripts/mutation.ts [${FOLDERS.join(' | ')}]… [--stryker-option value]…`);
  console.error(`unknown folder: ${unknown.join(', ')}`);
  process.exit(2);
}

for (const folder of requested.length > 0 ? requested : FOLDERS) {
  const started = Date.now();
  console.log(`[mutation] src/${folder}`);
  const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'stryker'), ['run', ...strykerOptions], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, MUTATION_FOLDER: folder },
  });
  console.log(`[mutation] src/${folder}: ${Math.round((Date.now() - started) / 1000)} s`);
  if (run.status !== 0) process.exit(run.status ?? 1);
}
