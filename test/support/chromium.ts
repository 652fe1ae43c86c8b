import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's chromium package; playwright-core drives it instead of downloading its own browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for a root user in a container without a display: no sandbox (root),
 * and nothing that phones home, so the page can only load what the service serves.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Without a font the screenshot shows boxes instead of text.
const FONTS_PATH = '/usr/share/fonts/truetype/liberation';

/** Installs Debian's chromium (and a font) when missing; throws with the apt output when it cannot. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM_PATH) && existsSync(FONTS_PATH)) return CHROMIUM_PATH;
  const install = () => apt(['install', '-y', 'chromium', 'fonts-liberation']);
  // A fresh image has no package lists yet: refresh them once and try again.
  const first = install();
  const result = first.ok ? first : (apt(['update']), install());
  if (!result.ok || !existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The browser test needs Debian's chromium at ${CHROMIUM_PATH} and could not install it ` +
        `(run \`apt-get update && apt-get install -y chromium\` as root).\n${result.output}`,
    );
  }
  return CHROMIUM_PATH;
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
