import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { positionsInIdOrder } from './id-order.js';

function order(ids: readonly string[]): number[] {
  return [
    ...positionsInIdOrder(
      ids.length,
      (at) => Number.parseInt(ids[at]!.slice(0, 8), 16),
      (a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0),
    ),
  ];
}

/** The order a stable comparison sort of the hex ids gives. */
function expected(ids: readonly string[]): number[] {
  return ids.map((_, at) => at).sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : a - b));
}

describe('positionsInIdOrder', () => {
  it('orders random ids as their hex forms sort', () => {
    const ids = Array.from({ length: 5000 }, () => randomBytes(20).toString('hex'));
    expect(order(ids)).toEqual(expected(ids));
  });

  it('orders ids sharing their first 32 bits by their whole ids, equal ids by position', () => {
    const prefix = 'ffffffff';
    const ids = [
      `${prefix}${'b'.repeat(32)}`,
      `00000000${'1'.repeat(32)}`,
      `${prefix}${'a'.repeat(32)}`,
      `${prefix}${'b'.repeat(32)}`,
      `${prefix}${'a'.repeat(32)}`,
      `00000000${'0'.repeat(32)}`,
    ];
    expect(order(ids)).toEqual([5, 1, 2, 4, 0, 3]);
    expect(order(ids)).toEqual(expected(ids));
  });

  it('gives nothing for nothing and one position for one id', () => {
    expect(order([])).toEqual([]);
    expect(order(['0'.repeat(40)])).toEqual([0]);
  });
});
