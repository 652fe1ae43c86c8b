import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { brokenLinks, githubSlug, headingAnchors } from '../../support/markdown-links.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const markdownIn = (folder: string) =>
  readdirSync(join(ROOT, folder))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, folder, name));

const GUIDES = [join(ROOT, 'README.md'), ...markdownIn('docs'), ...markdownIn('bench')];

describe('links in README.md, docs/ and bench/', () => {
  it.each(GUIDES.map((file) => [file.slice(ROOT.length), file]))(
    '%s: every relative link and anchor resolves',
    (_name, file) => {
      expect(brokenLinks(file)).toEqual([]);
    },
  );

  it('covers the guides', () => {
    expect(GUIDES.map((file) => file.slice(ROOT.length))).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/architecture.md',
        'docs/configuration.md',
        'docs/operations.md',
        'bench/RESULTS.md',
      ]),
    );
  });
});

describe('the link check', () => {
  it('slugs headings as GitHub does', () => {
    expect(githubSlug('Late events: `npm run bench:late-events`')).toBe('late-events-npm-run-benchlate-events');
    expect(githubSlug('Input: `contract-events`')).toBe('input-contract-events');
    expect(githubSlug('Measured on 2026-12-02: transactions, overlap, another client, a new profile')).toBe(
      'measured-on-2026-12-02-transactions-overlap-another-client-a-new-profile',
    );
    expect(githubSlug('The **fault** suite & its_scenarios')).toBe('the-fault-suite--its_scenarios');
  });

  it('numbers repeated headings and ignores headings in code blocks', () => {
    const anchors = headingAnchors('# Alerts\n\n```sh\n# not a heading\n```\n\n## Alerts\n### Alerts\n');
    expect([...anchors]).toEqual(['alerts', 'alerts-1', 'alerts-2']);
  });

  it('reports a missing file, a missing anchor and an anchor into a file that is not Markdown', () => {
    const folder = mkdtempSync(join(tmpdir(), 'links-'));
    writeFileSync(join(folder, 'data.json'), '{}');
    writeFileSync(join(folder, 'other.md'), '# Present\n');
    const file = join(folder, 'guide.md');
    writeFileSync(
      file,
      '# Here\n[ok](#here) [ok](other.md#present) [web](https://example.com/x.md) `[code](gone.md)`\n' +
        '[a](gone.md) [b](other.md#absent) [c](#nowhere) [d](data.json#top)\n',
    );
    expect(brokenLinks(file)).toEqual([
      `${file}: gone.md: no such file`,
      `${file}: other.md#absent: no heading with that anchor`,
      `${file}: #nowhere: no heading with that anchor`,
      `${file}: data.json#top: an anchor into a file that is not Markdown`,
    ]);
  });
});
