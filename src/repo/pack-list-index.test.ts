import { describe, expect, it } from 'vitest';
import type { ObjectId } from '../git/object-id.js';
import { PackListIndex } from './pack-list-index.js';
import type { WalkedObject } from './served-repository.js';

const blob = (id: string): WalkedObject => ({ id: id as ObjectId, type: 'blob' });
/**
 * A SHA-1-sized id whose first 8 digits every such id shares: objects a pusher could find by
 * brute force (2^32 hashes each), where sharing the 16 digits hashed would take 2^64.
 */
const sharedPrefix = (n: number) => `abababab${n.toString(16).padStart(8, '0')}${'c'.repeat(24)}`;

describe('PackListIndex', () => {
  it('finds each listed id at its position and nothing else', () => {
    const ids = Array.from({ length: 5000 }, (_, n) => n.toString(16).padStart(40, '0'));
    const index = new PackListIndex(ids.map(blob));
    expect(misplaced(index, ids)).toEqual([]);
    expect(index.positionOf('f'.repeat(40) as ObjectId)).toBe(-1);
    expect(index.positionOf(ids[0xabc]!.toUpperCase() as ObjectId)).toBe(-1);
  });

  it('gives the first position of an id listed twice', () => {
    const index = new PackListIndex([blob('1'.repeat(40)), blob('2'.repeat(40)), blob('1'.repeat(40))]);
    expect(index.positionOf('1'.repeat(40) as ObjectId)).toBe(0);
  });

  it('holds SHA-256 ids, and an empty list', () => {
    const long = ['a'.repeat(64), 'a'.repeat(63) + 'b'];
    const index = new PackListIndex(long.map(blob));
    expect(index.positionOf(long[1] as ObjectId)).toBe(1);
    expect(index.positionOf('a'.repeat(40) as ObjectId)).toBe(-1);
    expect(new PackListIndex([]).positionOf('a'.repeat(40) as ObjectId)).toBe(-1);
  });

  it('spreads ids sharing their first 8 digits (64 bits hashed with a secret seed)', () => {
    const ids = Array.from({ length: 20_000 }, (_, n) => sharedPrefix(n));
    const index = new PackListIndex(ids.map(blob));
    expect(misplaced(index, ids)).toEqual([]);
  });
});

/** The ids not found at their own position. */
function misplaced(index: PackListIndex, ids: readonly string[]): string[] {
  return ids.filter((id, position) => index.positionOf(id as ObjectId) !== position);
}
