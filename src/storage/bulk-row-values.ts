import { INDICATOR_VALUE } from './dialect/mysql-bulk-execute.js';
import { lengthCodedBytes, writeLengthCoded } from './dialect/mysql-execute-packet.js';

/**
 * Value writers for the rows of a bulk execute (`EncodedBulkRows`) encoded by encoders that know
 * their columns' kinds (`objectBulkRows`, `commitBulkRows`): each writes one value's indicator and
 * binary form as `encodeBulkExecutePacket` does, and returns the offset after it.
 */

export const INDICATOR_NULL = 1;
/** An indicator and an int64. */
export const INTEGER_BYTES = 9;
/** An indicator and a one-byte length, before a short string's characters. */
export const SHORT_STRING_BYTES = 2;
/**
 * Strings shorter than this are measured and copied by a loop over their characters; longer ones
 * by one native call each. A call costs about what a loop over 16 characters does: for the type
 * names (4–8 characters) the loop is 2–3× faster, for hex ids (40–64) the call is 2.5–4× faster
 * (docs/scale.md, "MariaDB's commit rows as bytes").
 */
const SHORT_STRING = 16;
/** Longest string whose length is one byte. */
const ONE_BYTE_LENGTH = 250;

/** Writes an ASCII string shorter than 251 characters: indicator, one-byte length, characters. */
export function writeAscii(body: Buffer, at: number, value: string): number {
  const length = value.length;
  body[at] = INDICATOR_VALUE;
  body[at + 1] = length;
  at += SHORT_STRING_BYTES;
  if (length < SHORT_STRING) for (let i = 0; i < length; i++) body[at + i] = value.charCodeAt(i);
  else body.write(value, at, 'latin1');
  return at + length;
}

/** Writes a safe integer: indicator, then int64 (two's complement) little-endian. */
export function writeInteger(body: Buffer, at: number, value: number): number {
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

/**
 * The UTF-8 byte length of any string (a lone surrogate counts as U+FFFD's three bytes, as
 * `Buffer.byteLength` counts it).
 */
export function textByteLength(value: string): number {
  const length = value.length;
  if (length < SHORT_STRING) {
    let at = 0;
    while (at < length && value.charCodeAt(at) < 0x80) at++;
    if (at === length) return length;
  }
  return Buffer.byteLength(value, 'utf8');
}

/** Bytes `writeText` writes for a string of UTF-8 length `byteLength`. */
export function textValueBytes(byteLength: number): number {
  return 1 + lengthCodedBytes(byteLength) + byteLength;
}

/** Writes any string whose UTF-8 length is `byteLength` (`textByteLength`): indicator, length-coded UTF-8. */
export function writeText(body: Buffer, at: number, value: string, byteLength: number): number {
  // Equal lengths mean all ASCII, whose UTF-8 is its Latin-1.
  const ascii = byteLength === value.length;
  if (ascii && byteLength <= ONE_BYTE_LENGTH) return writeAscii(body, at, value);
  body[at] = INDICATOR_VALUE;
  at = writeLengthCoded(body, at + 1, byteLength);
  return at + body.write(value, at, byteLength, ascii ? 'latin1' : 'utf8');
}
