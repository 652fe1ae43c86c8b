import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { round } from './throughput.js';

// Reads a V8 .cpuprofile (node --cpu-prof) and ranks where the time went:
// self time by function and by area (a package, a src/ folder, GC, idle), and
// inclusive time of the service's own functions.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface CostLine {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  busy_ms: number;
  idle_ms: number;
  by_area: CostLine[];
  top_self: CostLine[];
  top_inclusive_service: CostLine[];
}

export function latestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort();
  return files.length ? join(dir, files.at(-1)!) : undefined;
}

export function summariseProfile(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    const node = byId.get(id)!;
    const area = areaOf(node.callFrame);
    if (area === '(idle)') {
      idle += ms;
      return;
    }
    busy += ms;
    add(self, functionName(node), ms);
    add(areas, area, ms);
    // Inclusive time of the service's own code: each function once per sample.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!;
      if (!frame.callFrame.url.includes('/dist/')) continue;
      const name = functionName(frame);
      if (!seen.has(name)) {
        seen.add(name);
        add(inclusive, name, ms);
      }
    }
  });
  const ranked = (costs: Map<string, number>, limit: number): CostLine[] =>
    [...costs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), percent: round((100 * ms) / busy, 1) }));
  return {
    file,
    busy_ms: Math.round(busy),
    idle_ms: Math.round(idle),
    by_area: ranked(areas, 15),
    top_self: ranked(self, top),
    top_inclusive_service: ranked(inclusive, top),
  };
}

function add(costs: Map<string, number>, key: string, ms: number): void {
  costs.set(key, (costs.get(key) ?? 0) + ms);
}

function functionName({ callFrame }: ProfileNode): string {
  const where = callFrame.url ? `${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}` : '';
  return `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1); // compiled file and line: dist/… mirrors src/…
  return url.replace(/^file:\/\//, '');
}

function areaOf({ functionName: name, url }: ProfileNode['callFrame']): string {
  if (name === '(idle)') return '(idle)';
  if (!url) return name.startsWith('(') ? name : '(native / V8 builtins)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope, pkg] = url.slice(modules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${pkg}` : (scope ?? url);
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) {
    const path = url.slice(dist + '/dist/'.length);
    return path.startsWith('generated/')
      ? 'src/generated (Prisma client)'
      : `src/${path.split('/').slice(0, -1).join('/') || path}`;
  }
  if (url.startsWith('node:')) return `node core (${url.slice(5).split('/')[0]})`;
  return url;
}
