import { spawn } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seconds } from './infra/wait.js';
import { nodeBinary } from './node-binary.js';

// `tsx scripts/test-on-node.ts <major | x.y.z> [vitest filters…]` runs the unit
// and integration projects (integration includes e2e and fault) under another
// Node.js. `npm test` ends with it for Node 24, so the README's one test
// command, which `.ci/run` calls, covers the machine's Node and Node 24 LTS;
// SKIP_NODE_MATRIX=1 skips this step locally. Node.js comes from the npm
// registry (scripts/node-binary.ts).

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');

const [requested, ...filters] = process.argv.slice(2);
if (!requested || !/^\d+(\.\d+\.\d+)?$/.test(requested)) {
  console.error('usage: tsx scripts/test-on-node.ts <major | x.y.z> [vitest filters…]');
  process.exit(2);
}
if (process.env.SKIP_NODE_MATRIX === '1') {
  console.log(`[test-on-node] SKIP_NODE_MATRIX=1: not running the tests on Node ${requested}.`);
  process.exit(0);
}
if (requested === process.versions.node.split('.')[0]) {
  console.log(`[test-on-node] this is Node ${process.versions.node}: \`vitest run\` has covered Node ${requested}.`);
  process.exit(0);
}

const node = nodeBinary(requested);
const started = Date.now();
const args = [VITEST, 'run', '--project', 'unit', '--project', 'integration', ...filters];
console.log(`[test-on-node] ${node} ${args.join(' ')}`);
// Anything the tests start by name (`node`, `npx`) runs on the same binary.
const child = spawn(node, args, {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}`, NODE: node },
});
// Ctrl-C reaches vitest from the terminal itself; a SIGTERM sent to this
// process (a CI timeout) is passed on, so vitest and the Kafka and Postgres it started stop too.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => {
  console.log(
    `[test-on-node] Node ${requested}: vitest ${code === 0 ? 'passed' : `failed (${signal ?? `exit ${code}`})`} in ${seconds(started)}.`,
  );
  process.exit(code ?? 1);
});
