import { existsSync } from 'node:fs';
import { installDebianPackages } from './debian-packages.js';

/** Debian's prometheus package ships promtool next to the server. */
export const PROMTOOL_PATH = '/usr/bin/promtool';
export const PROMETHEUS_PATH = '/usr/bin/prometheus';

/** Installs Debian's prometheus (server and promtool) when missing; throws with the apt output when it cannot. */
export function ensurePrometheus(): { promtool: string; prometheus: string } {
  if (!existsSync(PROMTOOL_PATH) || !existsSync(PROMETHEUS_PATH))
    installDebianPackages(['prometheus'], PROMTOOL_PATH, 'The Prometheus tests');
  return { promtool: PROMTOOL_PATH, prometheus: PROMETHEUS_PATH };
}
