import { describe, expect, it } from 'vitest';
import { encodeTipBitmap, markTipBitmap, orTipBitmap } from './tip-bitmap.js';

/** A bitmap of `count` bits with the positions `set` says. */
function bitsOf(count: number, set: (i: number) => boolean): Uint8Array {
  const bits = new Uint8Array((count + 7) >> 3);
  for (let i = 0; i < count; i++) if (set(i)) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
  return bits;
}

function positions(data: Uint8Array, count: number): number[] | undefined {
  const selected = new Uint8Array(count);
  if (!markTipBitmap(data, count, selected)) return undefined;
  return [...selected.keys()].filter((i) => selected[i] === 1);
}

describe('tip bitmaps as stored', () => {
  it('round-trips as runs when those are smaller, as raw bits otherwise', () => {
    const count = 10_000;
    const long = (i: number) => (i >= 100 && i < 3_000) || i >= 9_990;
    const runs = encodeTipBitmap(bitsOf(count, long), count);
    expect(runs[0]).toBe(1);
    expect(runs.length).toBeLessThan(10);
    expect(positions(runs, count)).toEqual([...Array(count).keys()].filter(long));

    // A fixed scramble of the positions: about half set, in short runs.
    const noisy = [...Array(count).keys()].map((i) => ((Math.imul(i + 1, 2_654_435_761) >>> 13) & 1) === 1);
    const raw = encodeTipBitmap(
      bitsOf(count, (i) => noisy[i]!),
      count,
    );
    expect(raw[0]).toBe(0);
    expect(raw.length).toBe(1 + 2 + count / 8);
    expect(positions(raw, count)).toEqual([...Array(count).keys()].filter((i) => noisy[i]));
  });

  it('handles the edges: empty, all set, a count not a multiple of eight, stray bits past the count', () => {
    expect(positions(encodeTipBitmap(new Uint8Array(0), 0), 0)).toEqual([]);
    expect(
      positions(
        encodeTipBitmap(
          bitsOf(13, () => true),
          13,
        ),
        13,
      ),
    ).toEqual([...Array(13).keys()]);
    expect(
      positions(
        encodeTipBitmap(
          bitsOf(13, () => false),
          13,
        ),
        13,
      ),
    ).toEqual([]);
    // Bits past the count in the in-memory form are not part of the map.
    const stray = encodeTipBitmap(new Uint8Array([0b1010_1010, 0xff]), 11);
    expect(positions(stray, 11)).toEqual([1, 3, 5, 7, 8, 9, 10]);
    // Runs longer than one varint byte.
    const count = 100_000;
    const wide = encodeTipBitmap(
      bitsOf(count, (i) => i >= 50_000),
      count,
    );
    expect(positions(wide, count)?.length).toBe(50_000);
  });

  it('ORs several bitmaps into one selection', () => {
    const selected = new Uint8Array(16);
    expect(
      markTipBitmap(
        encodeTipBitmap(
          bitsOf(16, (i) => i < 4),
          16,
        ),
        16,
        selected,
      ),
    ).toBe(true);
    expect(
      markTipBitmap(
        encodeTipBitmap(
          bitsOf(16, (i) => i % 5 === 0),
          16,
        ),
        16,
        selected,
      ),
    ).toBe(true);
    expect([...selected.keys()].filter((i) => selected[i])).toEqual([0, 1, 2, 3, 5, 10, 15]);
  });

  it('ORs a bitmap into the bits of a longer walk, as runs and as raw bits', () => {
    const count = 1_000;
    const runs = encodeTipBitmap(
      bitsOf(count, (i) => i >= 500),
      count,
    );
    const raw = encodeTipBitmap(
      bitsOf(count, (i) => i % 3 === 0),
      count,
    );
    expect(raw[0]).toBe(0);
    // An extended walk's bits: one set already among the appended positions.
    const bits = bitsOf(count + 20, (i) => i === count + 5);
    expect(orTipBitmap(runs, count, bits)).toBe(true);
    expect(orTipBitmap(raw, count, bits)).toBe(true);
    const set = [...Array(count + 20).keys()].filter((i) => ((bits[i >> 3] as number) >> (i & 7)) & 1);
    expect(set).toEqual(
      [...Array(count + 20).keys()].filter(
        (i) => (i < count && (i >= 500 || i % 3 === 0)) || i === count + 5,
      ),
    );
    // Bits too short for the walk, or damaged data: refused.
    expect(orTipBitmap(runs, count, new Uint8Array(10))).toBe(false);
    expect(orTipBitmap(Buffer.from([1, 10, 4, 5]), count, bits)).toBe(false);
  });

  it('refuses damaged or mismatched data', () => {
    const count = 1_000;
    const runs = encodeTipBitmap(
      bitsOf(count, (i) => i >= 500),
      count,
    );
    expect(positions(runs, count)).toHaveLength(500);
    // A longer walk that begins with this one (an extension): the same positions.
    expect(positions(runs, count + 10)).toEqual(positions(runs, count));
    // A shorter walk: refused.
    expect(positions(runs, count - 1)).toBeUndefined();
    // Runs that do not add up to the bitmap's own count.
    expect(positions(Buffer.from([1, 10, 4, 5]), count)).toBeUndefined();
    expect(positions(Buffer.from([1, 10, 4, 7]), count)).toBeUndefined();
    expect(positions(Buffer.from([1, 10, 4, 6]), count)).toEqual([4, 5, 6, 7, 8, 9]);
    // A varint cut short, an unknown format, nothing at all.
    expect(positions(Buffer.from([1, 0x80]), count)).toBeUndefined();
    expect(positions(Buffer.from([1, 10, 0x80]), count)).toBeUndefined();
    expect(positions(Buffer.from([2, 10, 10]), count)).toBeUndefined();
    expect(positions(Buffer.alloc(0), count)).toBeUndefined();
    // A varint that never ends.
    expect(positions(Buffer.from([1, 10, ...Array(12).fill(0xff), 1]), count)).toBeUndefined();
    // Raw bits of the wrong length for their count.
    expect(positions(Buffer.from([0, 16, 0xff]), count)).toBeUndefined();
    expect(positions(Buffer.from([0, 16, 0xff, 0x01]), count)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // A selection shorter than the count.
    expect(markTipBitmap(runs, count, new Uint8Array(10))).toBe(false);
  });

  it('counts whole bytes of a run at once and stores the same runs as bit by bit', () => {
    // Runs starting and ending on and off byte boundaries, whole bytes set and clear, stray
    // bits past the count, and counts not a multiple of eight.
    const shapes: Array<(i: number) => boolean> = [
      (i) => i >= 64 && i < 200,
      (i) => (i >= 3 && i < 61) || (i >= 130 && i < 131) || i >= 250,
      (i) => Math.floor(i / 24) % 2 === 1,
      (i) => i % 5 === 0 || (i >= 100 && i < 180),
      () => true,
      () => false,
    ];
    for (const count of [0, 1, 7, 8, 9, 63, 64, 257, 300]) {
      for (const shape of shapes) {
        const bits = bitsOf(count + 13, shape);
        expect(encodeTipBitmap(bits, count)).toEqual(encodedBitByBit(bits, count));
      }
    }
  });
});

/** `encodeTipBitmap` as first written, one bit at a time: what the stored form must stay. */
function encodedBitByBit(bits: Uint8Array, count: number): Buffer {
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
  const varint = (value: number) => {
    const bytes: number[] = [];
    for (; value >= 0x80; value = Math.floor(value / 0x80)) bytes.push((value % 0x80) | 0x80);
    bytes.push(value);
    return bytes;
  };
  const runBytes = runs.flatMap(varint);
  const rawBytes = (count + 7) >> 3;
  if (runBytes.length >= rawBytes) {
    const raw = [...bits.subarray(0, rawBytes)];
    if (count & 7) raw[rawBytes - 1] = (raw[rawBytes - 1] as number) & ((1 << (count & 7)) - 1);
    return Buffer.from([0, ...varint(count), ...raw]);
  }
  return Buffer.from([1, ...varint(count), ...runBytes]);
}
