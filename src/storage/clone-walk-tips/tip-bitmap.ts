/**
 * A tip's bitmap as stored: which positions of a recorded walk of `count` entries it reaches.
 * Bit `i` of the in-memory form is `bits[i >> 3] & (1 << (i & 7))`. Stored as whichever is
 * smaller: format 0, the bits as they are; format 1, the lengths of its runs, alternating clear
 * and set (starting with clear, possibly empty), each an unsigned LEB128 varint. A walk's
 * positions follow its commits by date and its trees level by level, so one branch's closure
 * is mostly long runs.
 */

const RAW = 0;
const RUNS = 1;

/** The stored form of `bits` (at least `count` bits long). */
export function encodeTipBitmap(bits: Uint8Array, count: number): Buffer {
  const rawBytes = (count + 7) >> 3;
  const runs: number[] = [];
  let value = 0;
  let length = 0;
  for (let i = 0; i < count; i++) {
    const bit = ((bits[i >> 3] as number) >> (i & 7)) & 1;
    if (bit === value) {
      length++;
    } else {
      runs.push(length);
      value = bit;
      length = 1;
    }
  }
  runs.push(length);
  let runBytes = 0;
  for (const run of runs) runBytes += varintBytes(run);
  if (runBytes >= rawBytes) {
    const raw = Buffer.alloc(1 + rawBytes);
    raw[0] = RAW;
    raw.set(bits.subarray(0, rawBytes), 1);
    // Bits past `count` are not part of the map.
    if (count & 7) raw[rawBytes] = (raw[rawBytes] as number) & ((1 << (count & 7)) - 1);
    return raw;
  }
  const encoded = Buffer.alloc(1 + runBytes);
  encoded[0] = RUNS;
  let offset = 1;
  for (let run of runs) {
    while (run >= 0x80) {
      encoded[offset++] = (run & 0x7f) | 0x80;
      run = Math.floor(run / 0x80);
    }
    encoded[offset++] = run;
  }
  return encoded;
}

/**
 * Sets `selected[i]` to 1 for every position `i` the stored bitmap `data` has (one byte per
 * position, so several tips' bitmaps are OR-ed into one selection). False, with `selected`
 * possibly partly marked, when `data` is malformed or does not number exactly `count` positions.
 */
export function markTipBitmap(data: Uint8Array, count: number, selected: Uint8Array): boolean {
  if (selected.length < count) return false;
  if (data[0] === RAW) {
    if (data.length !== 1 + ((count + 7) >> 3)) return false;
    for (let i = 0; i < count; i++) {
      if (((data[1 + (i >> 3)] as number) >> (i & 7)) & 1) selected[i] = 1;
    }
    return true;
  }
  if (data[0] !== RUNS) return false;
  let position = 0;
  let set = false;
  for (let offset = 1; offset < data.length;) {
    let run = 0;
    let scale = 1;
    for (;;) {
      const byte = data[offset++];
      // A varint cut short, or longer than any count (7 bytes hold 2^49).
      if (byte === undefined || scale > 2 ** 42) return false;
      run += (byte & 0x7f) * scale;
      scale *= 0x80;
      if (byte < 0x80) break;
    }
    if (run > count - position) return false;
    if (set) selected.fill(1, position, position + run);
    position += run;
    set = !set;
  }
  return position === count;
}

function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes++;
  }
  return bytes;
}
