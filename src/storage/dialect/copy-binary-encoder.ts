import { binaryFieldBytes, writeBinaryField, type ColumnKind } from './postgres-arrays.js';

/**
 * The 11-byte signature of PostgreSQL's binary COPY format
 * (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"), then an int32 of
 * flags (none) and an int32 length of a header extension (none).
 */
const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const FIELD_COUNT_BYTES = 2;
/** The int16 field count that ends the data. */
const TRAILER = -1;

/**
 * Encodes `rows` (values in the order of `kinds`; null/undefined = NULL) as one binary COPY
 * stream: header, per row an int16 field count and each field as an int32 length and its binary
 * form (the same as an array element's, `postgres-arrays.ts`), then the trailer. Values are the
 * bytes as they are (no hex, no escaping); a row of the wrong width throws before anything is sent.
 */
export function encodeCopyBinary(
  kinds: readonly ColumnKind[],
  rows: readonly (readonly unknown[])[],
): Buffer {
  let size = HEADER.length + FIELD_COUNT_BYTES;
  for (const row of rows) {
    if (row.length !== kinds.length)
      throw new TypeError(`a row of ${row.length} values for ${kinds.length} columns`);
    size += FIELD_COUNT_BYTES;
    for (let column = 0; column < kinds.length; column++)
      size += binaryFieldBytes(kinds[column]!, row[column]);
  }
  const out = Buffer.allocUnsafe(size);
  let at = HEADER.copy(out, 0);
  for (const row of rows) {
    at = out.writeInt16BE(kinds.length, at);
    for (let column = 0; column < kinds.length; column++)
      at = writeBinaryField(out, at, kinds[column]!, row[column]);
  }
  out.writeInt16BE(TRAILER, at);
  return out;
}
