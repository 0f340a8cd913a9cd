import {
  EncodedBulkRows,
  INDICATOR_VALUE,
  TYPE_BLOB,
  TYPE_LONGLONG,
  TYPE_VAR_STRING,
} from './dialect/mysql-bulk-execute.js';
import { lengthCodedBytes, writeLengthCoded } from './dialect/mysql-execute-packet.js';
import {
  INDICATOR_NULL,
  INTEGER_BYTES,
  SHORT_STRING_BYTES,
  writeAscii,
  writeInteger,
} from './bulk-row-values.js';

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
