import { describe, expect, it } from 'vitest';
import { SHA1 } from './object-format.js';
import type { ObjectId } from './object-id.js';
import { PackEntries } from './pack-entries.js';
import type { ScannedEntry } from './pack-scanner.js';

function scanned(offset: number, declaredSize: number, compressedLength: number, crc32 = 0): ScannedEntry {
  return {
    offset,
    code: 3,
    declaredSize,
    headerLength: 2,
    compressedLength,
    crc32,
    baseIndex: -1,
    isRefDelta: false,
    inflated: undefined,
    streamedId: undefined,
  };
}

describe('PackEntries', () => {
  it('gives each entry its compressed length from where the next one starts', () => {
    const entries = new PackEntries(SHA1, 3);
    entries.append(scanned(12, 5, 10));
    entries.append(scanned(24, 7, 30));
    expect(entries.compressedLengthOf(1)).toBe(30);
    entries.append(scanned(56, 9, 4));
    expect([0, 1, 2].map((index) => entries.compressedLengthOf(index))).toEqual([10, 30, 4]);
  });

  it('keeps sizes of 4 GiB and more', () => {
    const entries = new PackEntries(SHA1, 2);
    const big = 2 ** 32 + 17;
    entries.append(scanned(12, big, 10));
    entries.append(scanned(24, 2 ** 32 - 1, 10));
    entries.resolveWhole(0, '1'.repeat(40) as ObjectId, 'blob');
    entries.resolveWhole(1, '2'.repeat(40) as ObjectId, 'blob');
    expect(entries.declaredSizeOf(0)).toBe(big);
    expect(entries.sizeOf(0)).toBe(big);
    expect(entries.sizeOf(1)).toBe(2 ** 32 - 1);
    expect(entries.objectAt(0).size).toBe(big);
  });

  it('keeps CRC32s only when asked to', () => {
    const kept = new PackEntries(SHA1, 1);
    kept.append(scanned(12, 5, 10, 0xdeadbeef));
    expect(kept.crc32Of(0)).toBe(0xdeadbeef);
    const skipped = new PackEntries(SHA1, 1, { crc32: false });
    skipped.append(scanned(12, 5, 10, 0xdeadbeef));
    expect(skipped.crc32Of(0)).toBe(0);
  });

  it('grows past the declared count when a pack holds more entries than it declares', () => {
    const entries = new PackEntries(SHA1, 2);
    for (let index = 0; index < 5; index++) entries.append(scanned(12 + 20 * index, index, 18));
    expect(entries.length).toBe(5);
    expect(entries.declaredSizeOf(4)).toBe(4);
  });
});
