import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_REFERENCE_PATH, renderConfigReference } from '../../../scripts/config-reference.js';
import { loadConfig } from '../../../src/config.js';

describe('docs/configuration.md', () => {
  it('is what the zod config schema generates (run `npm run docs:config` after changing src/config-schema.ts)', async () => {
    expect(await readFile(CONFIG_REFERENCE_PATH, 'utf8')).toBe(renderConfigReference());
  });

  it('lists every setting the service reads, with the default it uses', () => {
    const reference = renderConfigReference();
    const defaults = loadConfig({});
    for (const [name, value] of Object.entries(defaults)) {
      const row = reference.split('\n').find((line) => line.startsWith(`| \`${name}\``));
      const shown = value === undefined ? '—' : `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;
      expect(row, name).toContain(` | ${shown} | `);
    }
  });

  it('marks every secret, with its _FILE form', () => {
    const reference = renderConfigReference();
    expect(reference).toContain('| `API_TOKEN` (or `API_TOKEN_FILE`), **secret** |');
    expect(reference).toContain('| `KAFKA_SASL_PASSWORD` (or `KAFKA_SASL_PASSWORD_FILE`), **secret** |');
    expect(reference).toMatch(/\| `LOG_LEVEL` \|/);
  });
});
