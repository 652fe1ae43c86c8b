// Postgres text and jsonb cannot hold U+0000, and an unpaired UTF-16
// surrogate would reach the database as U+FFFD, silently changing the text.

// eslint-disable-next-line no-control-regex -- matching U+0000 is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export const STORABLE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired surrogates';

export function isStorableText(text: string): boolean {
  UNSTORABLE.lastIndex = 0;
  return !UNSTORABLE.test(text);
}

/** At most `limit` characters of untrusted text, with U+FFFD for whatever Postgres cannot store. */
export function storableText(text: string, limit: number): string {
  return text.slice(0, limit).replace(UNSTORABLE, '\uFFFD');
}
