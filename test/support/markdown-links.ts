import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

// Checks the relative links of the Markdown guides the way GitHub renders
// them: the file must exist, and an `#anchor` must be a heading's slug there.

const FENCE = /^\s*(```|~~~)/;

/** The lines outside fenced code blocks (a `# comment` in a shell block is no heading). */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (FENCE.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** GitHub's anchor for a heading's text: lowercase, punctuation dropped except `-` and `_`, spaces to `-`. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a document's headings give, duplicates numbered `-1`, `-2` as GitHub does. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading?.[1]) continue;
    const slug = githubSlug(heading[1]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The targets of inline links and images that stay inside the repository. */
export function relativeLinkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1] ?? '';
      if (!/^([a-z][a-z0-9+.-]*:|\/\/)/i.test(target)) targets.push(target);
    }
  }
  return targets;
}

/** One line per link of `file` that does not resolve: a missing file or an anchor no heading gives. */
export function brokenLinks(file: string): string[] {
  const problems: string[] = [];
  for (const target of relativeLinkTargets(readFileSync(file, 'utf8'))) {
    const [path = '', anchor] = target.split('#', 2);
    const targetFile = path === '' ? file : resolve(dirname(file), decodeURI(path));
    if (!existsSync(targetFile)) {
      problems.push(`${file}: ${target}: no such file`);
    } else if (anchor !== undefined) {
      if (!targetFile.endsWith('.md')) problems.push(`${file}: ${target}: an anchor into a file that is not Markdown`);
      else if (!headingAnchors(readFileSync(targetFile, 'utf8')).has(anchor))
        problems.push(`${file}: ${target}: no heading with that anchor`);
    }
  }
  return problems;
}
