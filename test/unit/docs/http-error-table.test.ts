import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { HTTP_API_DOC_PATH, withCurrentErrorTable } from '../../../scripts/http-errors-doc.js';

describe('the error table of docs/http-api.md', () => {
  it('is what the HTTP error catalogue generates (run `npm run docs:http-errors` after changing it)', async () => {
    const document = await readFile(HTTP_API_DOC_PATH, 'utf8');
    expect(document).toBe(withCurrentErrorTable(document));
  });

  it('has a row for every code, with its status', async () => {
    const document = await readFile(HTTP_API_DOC_PATH, 'utf8');
    // Written here, not read from the catalogue: a row that went missing or changed status shows.
    for (const row of [
      '| 401 | `UNAUTHORIZED` |',
      '| 404 | `CONTRACT_NOT_FOUND` |',
      '| 409 | `CONTRACT_EXISTS` |',
      '| 422 | `VALIDATION_ERROR` |',
      '| 503 | `SERVICE_UNAVAILABLE` |',
    ]) {
      expect(document).toContain(row);
    }
  });
});
