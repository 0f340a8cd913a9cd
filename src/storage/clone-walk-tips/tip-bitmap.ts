/**
 * A tip's bitmap as stored: which of the first `count` positions of a recorded walk it reaches.
 * Bit `i` of the in-memory form is `bits[i >> 3] & (1 << (i & 7))`. Stored as a format byte,
 * `count` (an unsigned LEB128 varint), then whichever is smaller: format 0, the bits as they are;
 * format 1, the lengths of its runs, alternating clear and set (starting with clear, possibly
 * empty), each a varint. A walk's positions follow its commits by date and its trees level by
 * level, so one branch's closure is mostly long runs. The count lets a bitmap serve a longer
 * walk that begins with the one it was made for (an extension after a push: the tip reaches
 * nothing of what was appended).
 */

const RAW = 0;
const RUNS = 1;

/** The stored form of `bits` (at least `count` bits long). */
export function encodeTipBitmap(bits: Uint8Array, count: number): Buffer {
  const rawBytes = (count + 7) >> 3;
  const runs: number[] = [];
  let value = 0;
  let length = 0;
  for (let i = 0; i < count;) {
    // A whole byte that continues the current run (the common case: a closure is mostly long
    // runs) is counted at once; a walk of 497k positions has 62k bytes and ~120 tips to encode.
    const byte = bits[i >> 3] as number;
    if ((i & 7) === 0 && i + 8 <= count && byte === (value === 0 ? 0 : 0xff)) {
      length += 8;
      i += 8;
      continue;
    }
    const bit = (byte >> (i & 7)) & 1;
    if (bit === value) {
      length++;
    } else {
      runs.push(length);
      value = bit;
      length = 1;
    }
    i++;
  }
  runs.push(length);
  let runBytes = 0;
  for (const run of runs) runBytes += varintBytes(run);
  const head = 1 + varintBytes(count);
  if (runBytes >= rawBytes) {
    const raw = Buffer.alloc(head + rawBytes);
    raw[0] = RAW;
    writeVarint(raw, 1, count);
    raw.set(bits.subarray(0, rawBytes), head);
    // Bits past `count` are not part of the map.
    const last = head + rawBytes - 1;
    if (count & 7) raw[last] = (raw[last] as number) & ((1 << (count & 7)) - 1);
    return raw;
  }
  const encoded = Buffer.alloc(head + runBytes);
  encoded[0] = RUNS;
  let offset = writeVarint(encoded, 1, count);
  for (const run of runs) offset = writeVarint(encoded, offset, run);
  return encoded;
}

/**
 * Sets `selected[i]` to 1 for every position `i` the stored bitmap `data` has (one byte per
 * position, so several tips' bitmaps are OR-ed into one selection), for a walk of `walkCount`
 * entries. False, with `selected` possibly partly marked, when `data` is malformed or numbers
 * more positions than the walk has.
 */
export function markTipBitmap(data: Uint8Array, walkCount: number, selected: Uint8Array): boolean {
  if (selected.length < walkCount) return false;
  return visitSetRuns(data, walkCount, (start, end) => selected.fill(1, start, end));
}

/**
 * ORs the stored bitmap `data` of a walk of `walkCount` entries into `bits` (the in-memory
 * form, at least `walkCount` bits long; longer for a walk that extends that one). False, with
 * `bits` possibly partly set, when `data` is malformed or numbers more positions than the walk has.
 */
export function orTipBitmap(data: Uint8Array, walkCount: number, bits: Uint8Array): boolean {
  if (bits.length * 8 < walkCount) return false;
  return visitSetRuns(data, walkCount, (start, end) => setRange(bits, start, end));
}

/** Calls `set` with each run `[start, end)` of set positions of `data`; false when it is malformed. */
function visitSetRuns(
  data: Uint8Array,
  walkCount: number,
  set: (start: number, end: number) => void,
): boolean {
  const head = readVarint(data, 1);
  if (!head || head.value > walkCount) return false;
  const count = head.value;
  if (data[0] === RAW) {
    if (data.length !== head.next + ((count + 7) >> 3)) return false;
    for (let i = 0; i < count; i++) {
      if (((data[head.next + (i >> 3)] as number) >> (i & 7)) & 1) set(i, i + 1);
    }
    return true;
  }
  if (data[0] !== RUNS) return false;
  let position = 0;
  let isSet = false;
  for (let offset = head.next; offset < data.length;) {
    const run = readVarint(data, offset);
    if (!run || run.value > count - position) return false;
    if (isSet) set(position, position + run.value);
    position += run.value;
    offset = run.next;
    isSet = !isSet;
  }
  return position === count;
}

/** The varint at `offset` and the offset after it; undefined when cut short or too long for any count. */
function readVarint(data: Uint8Array, offset: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = data[offset++];
    // 7 bytes hold 2^49, more than any walk's count.
    if (byte === undefined || scale > 2 ** 42) return undefined;
    value += (byte & 0x7f) * scale;
    scale *= 0x80;
    if (byte < 0x80) return { value, next: offset };
  }
}

/** Writes `value` as a varint at `offset`; the offset after it. */
function writeVarint(into: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    into[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 0x80);
  }
  into[offset++] = value;
  return offset;
}

function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes++;
  }
  return bytes;
}

/**
 * Sets bits `start` to `end` (exclusive) of `bits`: whole bytes at once, a closure being mostly
 * long runs (a selection ORs ~128 bitmaps of half a million positions).
 */
function setRange(bits: Uint8Array, start: number, end: number): void {
  let i = start;
  for (; i < end && (i & 7) !== 0; i++) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
  const wholeEnd = end & ~7;
  if (i < wholeEnd) {
    bits.fill(0xff, i >> 3, wholeEnd >> 3);
    i = wholeEnd;
  }
  for (; i < end; i++) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
}
