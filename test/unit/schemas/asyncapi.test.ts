import { readFile } from 'node:fs/promises';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { ASYNCAPI_PATH, renderAsyncApi } from '../../../scripts/asyncapi.js';

describe('asyncapi.yaml', () => {
  it('is what the zod schemas generate (run `npm run docs:asyncapi` after changing them)', async () => {
    expect(await readFile(ASYNCAPI_PATH, 'utf8')).toBe(renderAsyncApi());
  });

  it('is a valid AsyncAPI 3 document', async () => {
    const { document, diagnostics } = await new Parser().parse(await readFile(ASYNCAPI_PATH, 'utf8'));
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors).toEqual([]);
    expect(
      document
        ?.channels()
        .all()
        .map((c) => c.address()),
    ).toEqual(['contract-events', 'contract-event-outcomes']);
  });
});
