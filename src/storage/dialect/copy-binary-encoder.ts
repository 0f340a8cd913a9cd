import { binaryFieldBytes, checkBinaryField, writeBinaryField, type ColumnKind } from './postgres-arrays.js';

/**
 * The 11-byte signature of PostgreSQL's binary COPY format
 * (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"), then an int32 of
 * flags (none) and an int32 length of a header extension (none).
 */
const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const FIELD_COUNT_BYTES = 2;
/** The int16 field count that ends the data. */
const TRAILER = -1;
/** Bytes of one piece of a stream (a row bigger than this is a piece of its own). */
export const COPY_PIECE_BYTES = 1024 * 1024;

/**
 * Encodes `rows` (values in the order of `kinds`; null/undefined = NULL) as a binary COPY stream:
 * header, per row an int16 field count and each field as an int32 length and its binary form
 * (the same as an array element's, `postgres-arrays.ts`), then the trailer. Values are the bytes
 * as they are (no hex, no escaping). Every value is checked first: a row of the wrong width or a
 * value its kind cannot hold throws here, before any piece exists. The stream comes as pieces of
 * about `pieceBytes` (whole rows), each made when it is asked for, so a big batch is never a
 * second time in memory whole while it is sent (`PostgresCopyIn` sends as the socket drains).
 */
export function encodeCopyBinaryPieces(
  kinds: readonly ColumnKind[],
  rows: readonly (readonly unknown[])[],
  pieceBytes = COPY_PIECE_BYTES,
): Iterable<Buffer> {
  const sizes = new Float64Array(rows.length);
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    if (row.length !== kinds.length)
      throw new TypeError(`a row of ${row.length} values for ${kinds.length} columns`);
    let size = FIELD_COUNT_BYTES;
    for (let column = 0; column < kinds.length; column++) {
      checkBinaryField(kinds[column]!, row[column]);
      size += binaryFieldBytes(kinds[column]!, row[column]);
    }
    sizes[index] = size;
  }
  return pieces(kinds, rows, sizes, pieceBytes);
}

function* pieces(
  kinds: readonly ColumnKind[],
  rows: readonly (readonly unknown[])[],
  sizes: Float64Array,
  pieceBytes: number,
): Generator<Buffer> {
  let next = 0;
  let first = true;
  while (first || next < rows.length) {
    let size = first ? HEADER.length : 0;
    let end = next;
    while (end < rows.length && (end === next || size + sizes[end]! <= pieceBytes)) size += sizes[end++]!;
    const last = end === rows.length;
    if (last) size += FIELD_COUNT_BYTES;
    const out = Buffer.allocUnsafe(size);
    let at = first ? HEADER.copy(out, 0) : 0;
    for (; next < end; next++) {
      const row = rows[next]!;
      at = out.writeInt16BE(kinds.length, at);
      for (let column = 0; column < kinds.length; column++)
        at = writeBinaryField(out, at, kinds[column]!, row[column]);
    }
    if (last) out.writeInt16BE(TRAILER, at);
    first = false;
    yield out;
  }
}

/** `encodeCopyBinaryPieces` as one Buffer. */
export function encodeCopyBinary(
  kinds: readonly ColumnKind[],
  rows: readonly (readonly unknown[])[],
): Buffer {
  return Buffer.concat([...encodeCopyBinaryPieces(kinds, rows)]);
}
