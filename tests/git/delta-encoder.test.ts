import { describe, expect, it } from 'vitest';
import { applyDelta } from '../../src/git/delta.js';
import { DeltaIndex, createDelta, diffBuffers } from '../support/delta-encoder.js';

/** A deterministic pseudo-random generator so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomBytes(length: number, next: () => number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

describe('createDelta', () => {
  const next = random(42);
  const base = randomBytes(20_000, next);
  const edited = Buffer.concat([
    base.subarray(0, 5000),
    Buffer.from('inserted line\n'),
    base.subarray(5100, 15_000),
    randomBytes(300, next),
    base.subarray(15_000),
  ]);

  it.each([
    ['an edited file', base, edited],
    ['an identical file', base, base],
    ['an empty target', base, Buffer.alloc(0)],
    ['an empty source', Buffer.alloc(0), edited.subarray(0, 500)],
    ['a tiny target', base, Buffer.from('x')],
    ['unrelated data', base, randomBytes(3000, next)],
    ['repetitive data', Buffer.alloc(100_000, 0x61), Buffer.alloc(150_000, 0x61)],
    ['a large copy', Buffer.alloc(0x1000020, 1), Buffer.alloc(0x1000010, 1)],
  ])('round-trips %s', (_name, source, target) => {
    const delta = diffBuffers(source, target);
    expect(delta).toBeDefined();
    expect(applyDelta(source, delta!).equals(target)).toBe(true);
  });

  it('finds the shared content', () => {
    expect(diffBuffers(base, edited)!.length).toBeLessThan(600);
  });

  it('gives up when the delta would exceed the limit', () => {
    expect(diffBuffers(base, randomBytes(3000, next), 1000)).toBeUndefined();
  });

  it('reuses one index for many targets', () => {
    const index = new DeltaIndex(base);
    for (let cut = 1000; cut < 20_000; cut += 4000) {
      const target = Buffer.concat([base.subarray(cut), base.subarray(0, cut)]);
      expect(applyDelta(base, createDelta(index, target)!).equals(target)).toBe(true);
    }
  });
});
