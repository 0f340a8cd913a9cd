import { binaryFieldBytes, checkBinaryField, writeBinaryField, type ColumnKind } from './postgres-arrays.js';
import { CopyBinaryDecoder, type CopyTuple } from './copy-binary-decoder.js';

/**
 * The 11-byte signature of PostgreSQL's binary COPY format
 * (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"), then an int32 of
 * flags (none) and an int32 length of a header extension (none).
 */
const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const FIELD_COUNT_BYTES = 2;
/** The int16 field count -1 that ends the data. */
const TRAILER_BYTES = Buffer.from([0xff, 0xff]);
/** Bytes of one piece of a stream (a row bigger than this is a piece of its own). */
export const COPY_PIECE_BYTES = 1024 * 1024;

/**
 * Encodes `rows` (values in the order of `kinds`; null/undefined = NULL) as the tuples of a
 * binary COPY stream: per row an int16 field count and each field as an int32 length and its
 * binary form (the same as an array element's, `postgres-arrays.ts`). Values are the bytes as
 * they are (no hex, no escaping). Every value is checked first: a row of the wrong width or a
 * value its kind cannot hold throws here, before any piece exists. The tuples come as pieces of
 * about `pieceBytes` (whole rows; a bigger row is a piece of its own), each made when it is asked
 * for. `copyStream` puts the header before them and the trailer after.
 */
export function encodeCopyTuples(
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
  return tuplePieces(kinds, rows, sizes, pieceBytes);
}

function* tuplePieces(
  kinds: readonly ColumnKind[],
  rows: readonly (readonly unknown[])[],
  sizes: Float64Array,
  pieceBytes: number,
): Generator<Buffer> {
  let next = 0;
  while (next < rows.length) {
    let size = 0;
    let end = next;
    while (end < rows.length && (end === next || size + sizes[end]! <= pieceBytes)) size += sizes[end++]!;
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    for (; next < end; next++) {
      const row = rows[next]!;
      at = out.writeInt16BE(kinds.length, at);
      for (let column = 0; column < kinds.length; column++)
        at = writeBinaryField(out, at, kinds[column]!, row[column]);
    }
    yield out;
  }
}

/** A whole binary COPY stream: the header, the pieces of tuples (`encodeCopyTuples`), the trailer. */
export function* copyStream(tuples: Iterable<Buffer>): Generator<Buffer> {
  yield HEADER;
  yield* tuples;
  yield TRAILER_BYTES;
}

/** `rows` as a whole binary COPY stream, in pieces made as they are asked for. */
export function encodeCopyBinaryPieces(
  kinds: readonly ColumnKind[],
  rows: readonly (readonly unknown[])[],
  pieceBytes = COPY_PIECE_BYTES,
): Iterable<Buffer> {
  return copyStream(encodeCopyTuples(kinds, rows, pieceBytes));
}

/** `encodeCopyBinaryPieces` as one Buffer. */
export function encodeCopyBinary(
  kinds: readonly ColumnKind[],
  rows: readonly (readonly unknown[])[],
): Buffer {
  return Buffer.concat([...encodeCopyBinaryPieces(kinds, rows)]);
}

/**
 * The rows of tuples `encodeCopyTuples` made, as values again (text as strings, integers as
 * numbers, blobs as Buffers, NULL as null): for a batch held encoded that must be sent another
 * way after all.
 */
export function decodeCopyTuples(kinds: readonly ColumnKind[], tuples: Iterable<Buffer>): unknown[][] {
  const rows: unknown[][] = [];
  const decoder = new CopyBinaryDecoder();
  const onTuple = (tuple: CopyTuple) => {
    if (tuple.length !== kinds.length)
      throw new TypeError(`a tuple of ${tuple.length} fields for ${kinds.length} columns`);
    rows.push(tuple.map((field, column) => (field === null ? null : fieldValue(kinds[column]!, field))));
  };
  for (const piece of copyStream(tuples)) decoder.push(piece, onTuple);
  decoder.finish();
  return rows;
}

function fieldValue(kind: ColumnKind, field: Buffer): unknown {
  switch (kind) {
    case 'text':
      return field.toString('utf8');
    case 'blob':
      return field;
    case 'bigint':
      return Number(field.readBigInt64BE());
    case 'integer':
      return field.readInt32BE();
  }
}
