import { describe, expect, it } from 'vitest';
import type { ObjectId } from '../git/object-id.js';
import { PackEntryIndexBuilder, parsePackEntryIndex } from './pack-entry-index.js';

const id = (digit: string) => digit.repeat(40) as ObjectId;

function built(offsets: readonly number[]): Buffer {
  const builder = new PackEntryIndexBuilder(offsets.length, 20);
  offsets.forEach((offset, at) => builder.add(id(String(at)), offset));
  const bytes = builder.finish();
  if (!bytes) throw new Error('not finished');
  return bytes;
}

describe('pack entry index', () => {
  it('reads back ids and offsets in pack order, 48-bit offsets too', () => {
    const bytes = built([12, 40, 2 ** 40]);
    const index = parsePackEntryIndex(bytes, 3);
    expect(index?.count).toBe(3);
    expect([0, 1, 2].map((entry) => index?.offset(entry))).toEqual([12, 40, 2 ** 40]);
    expect(index?.ids.toString('hex', index.idOffset(1), index.idOffset(1) + 20)).toBe(id('1'));
  });

  it('is not finished before every announced entry is added', () => {
    const builder = new PackEntryIndexBuilder(2, 20);
    builder.add(id('a'), 12);
    expect(builder.finish()).toBeUndefined();
  });

  it.each([
    ['another entry count', built([12, 40]), 3],
    ['a truncated file', built([12, 40]).subarray(0, 40), 2],
    ['another magic', Buffer.concat([Buffer.from('XXXX'), built([12]).subarray(4)]), 1],
    [
      'another version',
      Buffer.concat([built([12]).subarray(0, 4), Buffer.from([2]), built([12]).subarray(5)]),
      1,
    ],
    ['an unknown id length', Buffer.from([0x4d, 0x50, 0x45, 0x49, 1, 21]), 0],
    ['nothing', Buffer.alloc(0), 0],
  ])('refuses %s', (_name, bytes, count) => {
    expect(parsePackEntryIndex(bytes, count)).toBeUndefined();
  });
});
