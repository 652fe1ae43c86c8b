import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Installs Debian packages a test needs (a browser, Prometheus) with apt-get,
 * refreshing the package lists once if a fresh image has none; returns
 * `binary` once it exists, or throws with apt's output and the command to run.
 */
export function installDebianPackages(packages: readonly string[], binary: string, who: string): string {
  const install = () => apt(['install', '-y', ...packages]);
  const first = install();
  const result = first.ok ? first : (apt(['update']), install());
  if (!result.ok || !existsSync(binary)) {
    throw new Error(
      `${who} needs ${binary} (Debian: ${packages.join(', ')}) and could not install it ` +
        `(run \`apt-get update && apt-get install -y ${packages.join(' ')}\` as root).\n${result.output}`,
    );
  }
  return binary;
}

function apt(args: string[]): { ok: boolean; output: string } {
  const run = spawnSync('apt-get', args, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 240_000,
  });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}`;
  return { ok: run.status === 0, output: output.slice(-4000) };
}
