import { describe, expect, it } from 'vitest';
import { keptBits } from './clone-walk-tips.js';
import { encodeTipBitmap, orTipBitmap } from './tip-bitmap.js';

/** A pseudo-random sequence, the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const bit = (bits: Uint8Array, at: number) => ((bits[at >> 3] as number) >> (at & 7)) & 1;

describe('a tip bitmap reduced to the kept positions of a selected walk', () => {
  it.each([
    ['sparse bits, most positions kept', 0.02, 0.97],
    ['long runs, half the positions kept', 0.5, 0.5],
    ['dense bits, few positions kept', 0.98, 0.05],
  ])('%s: bit k is bit kept[k], whatever the alignment', (_name, density, keep) => {
    const next = random(7);
    const count = 10_003;
    // Runs of set and clear bits, as closures have, ORed from their stored form.
    const bits = new Uint8Array((count + 7) >> 3);
    const expected = new Uint8Array(count);
    for (let at = 0; at < count;) {
      const length = 1 + Math.floor(next() * 40);
      const set = next() < density;
      for (let i = at; i < Math.min(count, at + length); i++) expected[i] = set ? 1 : 0;
      at += length;
    }
    const direct = new Uint8Array(bits.length);
    for (let i = 0; i < count; i++)
      if (expected[i]) direct[i >> 3] = (direct[i >> 3] as number) | (1 << (i & 7));
    expect(orTipBitmap(encodeTipBitmap(direct, count), count, bits)).toBe(true);
    expect(bits).toEqual(direct);

    const kept = Int32Array.from([...expected.keys()].filter(() => next() < keep));
    const reduced = keptBits(bits, kept);
    for (let k = 0; k < kept.length; k++) expect(bit(reduced, k), `k ${k}`).toBe(expected[kept[k] as number]);
    for (let k = kept.length; k < reduced.length * 8; k++) expect(bit(reduced, k)).toBe(0);
  });
});
