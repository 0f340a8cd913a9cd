import { invalid, tooLarge } from '../platform/errors.js';

/**
 * Git's delta format (gitformat-pack "Deltified representation"): base size and result size as
 * little-endian base-128 varints, then instructions. A byte with the high bit set copies from the
 * base (bits 0-3 say which offset bytes follow, bits 4-6 which size bytes; size 0 means 0x10000);
 * 1..127 inserts that many literal bytes; 0 is reserved.
 */
export const DELTA_COPY_ZERO_SIZE = 0x10000;
export const DELTA_MAX_INSERT = 0x7f;

/** Reads a size varint at `pos`; returns value and the position after it. */
export function readDeltaSize(delta: Uint8Array, pos: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = delta[pos++];
    if (byte === undefined) throw invalid('delta_truncated', 'delta header is truncated');
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80)) return { value, next: pos };
    if (shift > 49) throw invalid('delta_bad_header', 'delta size varint is too long');
  }
}

/** The base and result sizes a delta declares. */
export function deltaSizes(delta: Uint8Array): {
  baseSize: number;
  resultSize: number;
  headerLength: number;
} {
  const base = readDeltaSize(delta, 0);
  const result = readDeltaSize(delta, base.next);
  return { baseSize: base.value, resultSize: result.value, headerLength: result.next };
}

/**
 * Applies `delta` to `base`. Every copy and insert is checked against the base, the delta and
 * the declared result size; `maxResultSize` refuses absurd results before allocating.
 */
export function applyDelta(
  base: Uint8Array,
  delta: Uint8Array,
  maxResultSize = Number.MAX_SAFE_INTEGER,
  /** Written into when large enough (the result is then a view of it). */
  into?: Buffer,
): Buffer {
  const { baseSize, resultSize, headerLength } = deltaSizes(delta);
  if (baseSize !== base.length) {
    throw invalid('delta_base_size_mismatch', 'delta base size does not match the base', {
      expected: baseSize,
      actual: base.length,
    });
  }
  if (resultSize > maxResultSize) {
    throw tooLarge('delta_result_too_large', 'delta result exceeds the limit', { resultSize, maxResultSize });
  }
  const out =
    into && into.length >= resultSize ? into.subarray(0, resultSize) : Buffer.allocUnsafe(resultSize);
  const baseBuf = Buffer.from(base.buffer, base.byteOffset, base.length);
  const deltaBuf = Buffer.from(delta.buffer, delta.byteOffset, delta.length);
  let pos = headerLength;
  let written = 0;
  while (pos < deltaBuf.length) {
    const op = deltaBuf[pos++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit++) {
        if (op & (1 << bit)) offset += (deltaBuf[pos++] ?? throwTruncated()) * 2 ** (8 * bit);
      }
      for (let bit = 0; bit < 3; bit++) {
        if (op & (0x10 << bit)) size |= (deltaBuf[pos++] ?? throwTruncated()) << (8 * bit);
      }
      if (size === 0) size = DELTA_COPY_ZERO_SIZE;
      if (offset + size > baseBuf.length || written + size > resultSize) {
        throw invalid('delta_copy_out_of_bounds', 'delta copies outside the base or the result', {
          offset,
          size,
        });
      }
      copyBytes(baseBuf, offset, out, written, size);
      written += size;
    } else if (op !== 0) {
      if (pos + op > deltaBuf.length || written + op > resultSize) {
        throw invalid('delta_insert_out_of_bounds', 'delta inserts past its end or the result', { size: op });
      }
      copyBytes(deltaBuf, pos, out, written, op);
      pos += op;
      written += op;
    } else {
      throw invalid('delta_bad_opcode', 'delta uses the reserved opcode 0');
    }
  }
  if (written !== resultSize) {
    throw invalid('delta_result_size_mismatch', 'delta result is shorter than declared', {
      expected: resultSize,
      actual: written,
    });
  }
  return out;
}

/** Below this many bytes a plain loop beats `Buffer.copy` (a call into C++ per copy). */
const LOOP_COPY_MAX = 64;

function copyBytes(source: Buffer, from: number, target: Buffer, to: number, length: number): void {
  if (length > LOOP_COPY_MAX) {
    source.copy(target, to, from, from + length);
    return;
  }
  for (let i = 0; i < length; i++) target[to + i] = source[from + i]!;
}

function throwTruncated(): never {
  throw invalid('delta_truncated', 'delta instruction is truncated');
}
