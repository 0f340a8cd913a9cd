import { describe, expect, it } from 'vitest';
import { appendAll, largestOf } from './append-all.js';

describe('appendAll', () => {
  it('appends in order and returns the target', () => {
    const target = [1];
    expect(appendAll(target, [2, 3])).toBe(target);
    expect(target).toEqual([1, 2, 3]);
  });

  it('takes any iterable', () => {
    expect(appendAll<string>([], new Set(['a', 'b']))).toEqual(['a', 'b']);
  });

  it('appends more items than a spread argument list can hold', () => {
    const many = new Array<number>(1_000_000).fill(7);
    expect(() => [].push(...(many as never[]))).toThrow(RangeError);
    expect(appendAll([], many)).toHaveLength(1_000_000);
  });
});

describe('largestOf', () => {
  it.each([
    [[3, 9, 2], 0, 9],
    [[-5, -2], 0, -2],
    [[], 4, 4],
  ])('largestOf(%j, %d) is %d', (values, empty, expected) => {
    expect(largestOf(values, empty)).toBe(expected);
  });

  it('handles more values than Math.max(...values) can take', () => {
    const many = Array.from({ length: 1_000_000 }, (_, i) => i);
    expect(largestOf(many, 0)).toBe(999_999);
  });
});
