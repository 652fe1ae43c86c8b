import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { HTTP_ERRORS } from '../src/schemas/http-error-catalogue.js';

// Writes the error table of docs/http-api.md from the HTTP error catalogue, so
// the two cannot drift (`npm run docs:http-errors`; a test compares).

export const HTTP_API_DOC_PATH = fileURLToPath(new URL('../docs/http-api.md', import.meta.url));

const BEGIN =
  '<!-- Generated from src/schemas/http-error-catalogue.ts by `npm run docs:http-errors`; do not edit by hand. -->';
const END = '<!-- End of the generated error table. -->';

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The table, between the markers that delimit it in the document. */
export function renderErrorTable(): string {
  const rows = Object.entries(HTTP_ERRORS).map(
    ([code, { status, description }]) => `| ${status} | \`${code}\` | ${cell(description)} |`,
  );
  return [BEGIN, '', '| status | code | when |', '|---|---|---|', ...rows, '', END].join('\n');
}

/** The document with its table replaced by the current one. */
export function withCurrentErrorTable(document: string): string {
  const begin = document.indexOf(BEGIN);
  const end = document.indexOf(END);
  if (begin < 0 || end < begin)
    throw new Error(`${HTTP_API_DOC_PATH} has no generated error table (its markers are missing).`);
  return document.slice(0, begin) + renderErrorTable() + document.slice(end + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(HTTP_API_DOC_PATH, withCurrentErrorTable(await readFile(HTTP_API_DOC_PATH, 'utf8')));
  console.log(`Wrote the error table of ${HTTP_API_DOC_PATH}`);
}
