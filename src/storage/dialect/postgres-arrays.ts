/**
 * PostgreSQL's binary array format (`array_recv`, src/backend/utils/adt/arrayfuncs.c): a bulk
 * insert sends one array per column instead of one parameter per value. The pg driver passes a
 * Buffer parameter in binary form, so the server copies the elements out without parsing a text
 * literal (a hex-escaped `bytea[]` literal cost more to parse than the insert itself).
 *
 * Layout: int32 dimensions (1), int32 has-nulls flag, int32 element type OID, int32 length,
 * int32 lower bound (1), then per element an int32 byte length (-1 = NULL) and its binary form.
 */

/** Kinds of column a bulk insert can send as an array. */
export type ColumnKind = 'text' | 'bigint' | 'integer' | 'blob';

/** Element type OIDs (pg_type) and the matching array casts. */
const ELEMENT_OID: Readonly<Record<ColumnKind, number>> = { text: 25, bigint: 20, integer: 23, blob: 17 };
export const POSTGRES_ARRAY_TYPE: Readonly<Record<ColumnKind, string>> = {
  text: 'text[]',
  bigint: 'int8[]',
  integer: 'int4[]',
  blob: 'bytea[]',
};

const HEADER_BYTES = 20;
const LENGTH_BYTES = 4;
const WIDTH: Readonly<Record<'bigint' | 'integer', number>> = { bigint: 8, integer: 4 };
const TWO_32 = 2 ** 32;
const TWO_31 = 2 ** 31;

/** Bytes of `value`'s binary form as `kind` (without its length word). */
function valueBytes(kind: ColumnKind, value: unknown): number {
  switch (kind) {
    case 'text':
      return Buffer.byteLength(value as string, 'utf8');
    case 'blob':
      return (value as Uint8Array).length;
    default:
      return WIDTH[kind];
  }
}

function integerValue(value: unknown): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new TypeError(`not a safe integer: ${String(value)}`);
  return number;
}

/**
 * Bytes a value takes as an int32 length word and its binary form (`*recv` of its type), the
 * same in arrays and binary COPY tuples; null/undefined = NULL, a length of -1 alone.
 */
export function binaryFieldBytes(kind: ColumnKind, value: unknown): number {
  return value === null || value === undefined ? LENGTH_BYTES : LENGTH_BYTES + valueBytes(kind, value);
}

/**
 * Throws when `writeBinaryField` would refuse `value` as `kind` (an integer it cannot send
 * exactly), so a caller can check a whole batch before it writes any of it.
 */
export function checkBinaryField(kind: ColumnKind, value: unknown): void {
  if (value === null || value === undefined || (kind !== 'bigint' && kind !== 'integer')) return;
  const number = integerValue(value);
  if (kind === 'integer' && (number < -TWO_31 || number >= TWO_31))
    throw new TypeError(`not a 32-bit integer: ${number}`);
}

/** Writes `value` as `binaryFieldBytes` describes at `at` of `out`; returns the offset after it. */
export function writeBinaryField(out: Buffer, at: number, kind: ColumnKind, value: unknown): number {
  if (value === null || value === undefined) return out.writeInt32BE(-1, at);
  switch (kind) {
    case 'text': {
      const length = out.write(value as string, at + LENGTH_BYTES, 'utf8');
      out.writeInt32BE(length, at);
      return at + LENGTH_BYTES + length;
    }
    case 'blob': {
      const bytes = value as Uint8Array;
      at = out.writeInt32BE(bytes.length, at);
      out.set(bytes, at);
      return at + bytes.length;
    }
    case 'bigint': {
      const number = integerValue(value);
      at = out.writeInt32BE(8, at);
      at = out.writeInt32BE(Math.floor(number / TWO_32), at);
      return out.writeUInt32BE(number >>> 0, at);
    }
    case 'integer':
      // Throws ERR_OUT_OF_RANGE beyond 32 bits.
      at = out.writeInt32BE(4, at);
      return out.writeInt32BE(integerValue(value), at);
  }
}

/** Encodes `values` (null/undefined = SQL NULL) as a one-dimensional array of `kind`. */
export function encodePostgresArray(kind: ColumnKind, values: readonly unknown[]): Buffer {
  let size = HEADER_BYTES;
  let hasNulls = 0;
  for (const value of values) {
    size += binaryFieldBytes(kind, value);
    if (value === null || value === undefined) hasNulls = 1;
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.writeInt32BE(1, 0);
  at = out.writeInt32BE(hasNulls, at);
  at = out.writeInt32BE(ELEMENT_OID[kind], at);
  at = out.writeInt32BE(values.length, at);
  at = out.writeInt32BE(1, at);
  for (const value of values) at = writeBinaryField(out, at, kind, value);
  return out;
}
