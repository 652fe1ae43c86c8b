import { createRequire } from 'node:module';
import { isPatched, markPatched } from './marker.js';

// kafkajs 2.2.4 encodes each record of a produce request through its generic
// Encoder: a zero-filled 512-byte buffer per record and per header, and a
// fresh Buffer for every varint. That made a record cost about 19 µs, and each
// header about 4 µs more (an outcome carries nine: its event id, the
// CloudEvents attributes, its trace context). This writes the same bytes
// (record format v2: length, attributes, timestamp and offset deltas, key,
// value, headers; varints zigzag-encoded) straight into one buffer of the
// exact size. Anything out of the ordinary (a header value that is neither a
// string nor a Buffer, a timestamp delta beyond 32 bits) goes to kafkajs's
// own encoder. It replaces kafkajs's module in the require cache; applied by
// ./index.ts, like the other patches.

interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: unknown;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown>;
}

interface EncoderLike {
  buf: Buffer;
  offset: number;
}

const INT32_LIMIT = 2 ** 31;

const zigzag = (value: number) => ((value << 1) ^ (value >> 31)) >>> 0;
const varintSize = (unsigned: number) =>
  unsigned < 0x80 ? 1 : unsigned < 0x4000 ? 2 : unsigned < 0x200000 ? 3 : unsigned < 0x10000000 ? 4 : 5;
const isInt32 = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= -INT32_LIMIT && value < INT32_LIMIT;

/** The bytes of a key, value or header value as kafkajs writes them: null, raw bytes, or the text of anything else. */
const bytesOf = (value: unknown): Buffer | string | null =>
  value == null ? null : Buffer.isBuffer(value) ? value : String(value);
const lengthOf = (bytes: Buffer | string) =>
  typeof bytes === 'string' ? Buffer.byteLength(bytes, 'utf8') : bytes.length;
const sizeWithLength = (bytes: Buffer | string | null) => {
  if (bytes === null) return 1; // varint -1
  const length = lengthOf(bytes);
  return varintSize(zigzag(length)) + length;
};

/** The encoded record, or null when kafkajs's own encoder should handle it. */
export function encodeRecord({
  offsetDelta = 0,
  timestampDelta = 0,
  key,
  value,
  headers = {},
}: RecordInput): Buffer | null {
  if (!isInt32(offsetDelta) || !isInt32(timestampDelta)) return null;
  const headerList: [string, Buffer | string][] = [];
  for (const name of Object.keys(headers)) {
    const headerValue = headers[name];
    for (const item of Array.isArray(headerValue) ? (headerValue as unknown[]) : [headerValue]) {
      if (typeof item !== 'string' && !Buffer.isBuffer(item)) return null;
      headerList.push([name, item]);
    }
  }
  const keyBytes = bytesOf(key);
  const valueBytes = bytesOf(value);
  let body =
    1 +
    varintSize(zigzag(timestampDelta)) +
    varintSize(zigzag(offsetDelta)) +
    sizeWithLength(keyBytes) +
    sizeWithLength(valueBytes);
  body += varintSize(zigzag(headerList.length));
  for (const [name, headerValue] of headerList) body += sizeWithLength(name) + sizeWithLength(headerValue);

  const out = Buffer.allocUnsafe(varintSize(zigzag(body)) + body);
  let at = 0;
  const writeVarint = (signed: number) => {
    let unsigned = zigzag(signed);
    while (unsigned >= 0x80) {
      out[at++] = (unsigned & 0x7f) | 0x80;
      unsigned >>>= 7;
    }
    out[at++] = unsigned;
  };
  const writeWithLength = (bytes: Buffer | string | null) => {
    if (bytes === null) return writeVarint(-1);
    writeVarint(lengthOf(bytes));
    at += typeof bytes === 'string' ? out.write(bytes, at, 'utf8') : bytes.copy(out, at);
  };
  writeVarint(body);
  out[at++] = 0; // attributes
  writeVarint(timestampDelta);
  writeVarint(offsetDelta);
  writeWithLength(keyBytes);
  writeWithLength(valueBytes);
  writeVarint(headerList.length);
  for (const [name, headerValue] of headerList) {
    writeWithLength(name);
    writeWithLength(headerValue);
  }
  return out;
}

const require = createRequire(import.meta.url);

/** Puts the encoder in place of kafkajs's (kept as `kafkajsRecord` on it); false when it already is. */
export function installRecordEncoder(): boolean {
  const recordPath = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js');
  // kafkajs requires it when it first produces; a process that produced before this ran keeps kafkajs's encoder.
  if (isPatched(require.cache[recordPath]?.exports)) return false;
  const Encoder = require('kafkajs/src/protocol/encoder.js') as { prototype: object };
  const kafkajsRecord = require(recordPath) as (record: RecordInput) => EncoderLike;
  const fastRecord = (record: RecordInput): EncoderLike => {
    const bytes = encodeRecord(record);
    if (bytes === null) return kafkajsRecord(record);
    // A kafkajs Encoder holding exactly these bytes, without its own 512-byte start.
    return Object.assign(Object.create(Encoder.prototype) as EncoderLike, { buf: bytes, offset: bytes.length });
  };
  require.cache[recordPath]!.exports = markPatched(Object.assign(fastRecord, { kafkajsRecord }));
  return true;
}
