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
 * Strings shorter than this whose UTF-8 is as long as they are (so all ASCII) are copied by a
 * loop, as `encodeBulkExecutePacket` copies them: a native call costs more than their characters.
 */
const SHORT_ASCII = 128;

/** Writes an ASCII string shorter than 251 characters: indicator, one-byte length, characters. */
export function writeAscii(body: Buffer, at: number, value: string): number {
  const length = value.length;
  body[at] = INDICATOR_VALUE;
  body[at + 1] = length;
  at += SHORT_STRING_BYTES;
  for (let i = 0; i < length; i++) body[at + i] = value.charCodeAt(i);
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
 * The UTF-8 byte length of any string: its length when it is short and all ASCII (checked by a
 * loop, no native call), else `Buffer.byteLength`'s (a lone surrogate counts as U+FFFD's three).
 */
export function textByteLength(value: string): number {
  const length = value.length;
  if (length < SHORT_ASCII) {
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
  // Equal lengths mean all ASCII: a short one goes by the loop, as `textByteLength` measured it.
  if (byteLength === value.length && byteLength < SHORT_ASCII) return writeAscii(body, at, value);
  body[at] = INDICATOR_VALUE;
  at = writeLengthCoded(body, at + 1, byteLength);
  return at + body.write(value, at, byteLength, 'utf8');
}
