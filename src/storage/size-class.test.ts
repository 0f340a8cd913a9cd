import { describe, expect, it } from 'vitest';
import { rowOfHint, sizeClassOfHint, storedObjectHint } from './pack-ready.js';
import { sizeClassAtLeast, sizeClassOf } from './size-class.js';

describe('size classes', () => {
  it('bound each size by powers of two', () => {
    expect([0, 1, 2, 3, 4, 1023, 1024, 1025, 2047, 2048].map(sizeClassOf)).toEqual([
      1, 2, 3, 3, 4, 11, 12, 12, 12, 13,
    ]);
    expect(sizeClassOf(2 ** 29 - 1)).toBe(30);
    expect(sizeClassOf(2 ** 29)).toBe(31);
    expect(sizeClassOf(2 ** 40)).toBe(31);
  });

  it('decide a limit exactly when every size of the class falls on one side of it', () => {
    const sizes = [0, 1, 2, 3, 5, 100, 999, 1000, 1023, 1024, 1025, 4096, 2 ** 29 - 1, 2 ** 29, 2 ** 35];
    const limits = [0, 1, 2, 3, 30, 100, 1000, 1024, 1025, 1 << 20, 2 ** 29, 2 ** 30, 2 ** 36];
    for (const size of sizes) {
      for (const limit of limits) {
        const told = sizeClassAtLeast(sizeClassOf(size), limit);
        if (told !== undefined) expect(told).toBe(size >= limit);
      }
    }
    // Power-of-two limits are always told.
    for (const size of sizes) {
      for (const limit of [1, 2, 1024, 1 << 20, 2 ** 29]) {
        expect(sizeClassAtLeast(sizeClassOf(size), limit)).toBe(size >= limit);
      }
    }
    expect(sizeClassAtLeast(0, 1024)).toBeUndefined();
    expect(sizeClassAtLeast(32, 1024)).toBeUndefined();
  });

  it('travel in a hint beside the largest row key', () => {
    const row = 2 ** 48 - 1;
    const hint = storedObjectHint(row, 31);
    expect(Number.isSafeInteger(hint)).toBe(true);
    expect(rowOfHint(hint)).toBe(row);
    expect(sizeClassOfHint(hint)).toBe(31);
    expect(rowOfHint(storedObjectHint(42))).toBe(42);
    expect(sizeClassOfHint(storedObjectHint(42))).toBe(0);
  });
});
