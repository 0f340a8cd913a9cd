import {
  EncodedBulkRows,
  INDICATOR_VALUE,
  TYPE_BLOB,
  TYPE_LONGLONG,
  TYPE_VAR_STRING,
} from './dialect/mysql-bulk-execute.js';
import { lengthCodedBytes, writeLengthCoded } from './dialect/mysql-execute-packet.js';

/**
 * A `raw_objects` row as the object writer buffers it (`RAW_OBJECT_COLUMNS`' values, in order):
 * git_id, object_type, storage_type, size, delta_base, delta_depth, payload_size, data.
 */
export type ObjectRowValues = readonly [
  string,
  string,
  string,
  number,
  string | null,
  number,
  number,
  Uint8Array | null,
];

/** The columns' types, as `encodeBulkExecutePacket` picks them for these rows. */
const OBJECT_BULK_TYPES = Uint8Array.of(
  TYPE_VAR_STRING,
  TYPE_VAR_STRING,
  TYPE_VAR_STRING,
  TYPE_LONGLONG,
  TYPE_VAR_STRING,
  TYPE_LONGLONG,
  TYPE_LONGLONG,
  TYPE_BLOB,
);
const INDICATOR_NULL = 1;
/** An indicator and an int64. */
const INTEGER_BYTES = 9;
/** An indicator and a one-byte length, before a short string's characters. */
const SHORT_STRING_BYTES = 2;

/**
 * The `raw_objects` rows as the rows of a bulk execute (`EncodedBulkRows`), the bytes
 * `encodeBulkExecutePacket` makes of them, by one size pass and one write pass that know each
 * column's kind: the generic encoder finds every column's type, measures every string (checking
 * it is ASCII) and writes it through a switch, three times the time for an object batch
 * (docs/scale.md, "MariaDB's object rows as bytes"). The strings are hex ids (`ObjectId`), type
 * names and storage kinds: ASCII, shorter than 251 characters, so each is its characters after a
 * one-byte length.
 */
export function objectBulkRows(rows: readonly ObjectRowValues[]): EncodedBulkRows {
  let size = 0;
  for (const row of rows) {
    const base = row[4];
    const data = row[7];
    size +=
      3 * SHORT_STRING_BYTES +
      row[0].length +
      row[1].length +
      row[2].length +
      3 * INTEGER_BYTES +
      (base === null ? 1 : SHORT_STRING_BYTES + base.length) +
      (data === null ? 1 : 1 + lengthCodedBytes(data.length) + data.length);
  }
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  for (const row of rows) {
    at = writeAscii(body, at, row[0]);
    at = writeAscii(body, at, row[1]);
    at = writeAscii(body, at, row[2]);
    at = writeInteger(body, at, row[3]);
    const base = row[4];
    if (base === null) body[at++] = INDICATOR_NULL;
    else at = writeAscii(body, at, base);
    at = writeInteger(body, at, row[5]);
    at = writeInteger(body, at, row[6]);
    const data = row[7];
    if (data === null) {
      body[at++] = INDICATOR_NULL;
    } else {
      body[at++] = INDICATOR_VALUE;
      at = writeLengthCoded(body, at, data.length);
      body.set(data, at);
      at += data.length;
    }
  }
  return new EncodedBulkRows(OBJECT_BULK_TYPES, body, () => rows.flat());
}

/** Writes an ASCII string shorter than 251 characters as a value: indicator, length, characters. */
function writeAscii(body: Buffer, at: number, value: string): number {
  const length = value.length;
  body[at] = INDICATOR_VALUE;
  body[at + 1] = length;
  at += SHORT_STRING_BYTES;
  for (let i = 0; i < length; i++) body[at + i] = value.charCodeAt(i);
  return at + length;
}

/** Writes a safe integer as a value: indicator, then int64 (two's complement) little-endian. */
function writeInteger(body: Buffer, at: number, value: number): number {
  const low = value >>> 0;
  const high = Math.floor(value / 0x100000000) | 0;
  body[at] = INDICATOR_VALUE;
  body[at + 1] = low;
  body[at + 2] = low >>> 8;
  body[at + 3] = low >>> 16;
  body[at + 4] = low >>> 24;
  body[at + 5] = high;
  body[at + 6] = high >>> 8;
  body[at + 7] = high >>> 16;
  body[at + 8] = high >>> 24;
  return at + INTEGER_BYTES;
}
