import { existsSync } from 'node:fs';
import { installDebianPackages } from './debian-packages.js';

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
  return installDebianPackages(['chromium', 'fonts-liberation'], CHROMIUM_PATH, 'The browser test');
}
