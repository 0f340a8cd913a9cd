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
    const index = parsePackEntryIndex(bytes, 2 ** 40 + 100, 3);
    expect(index?.count).toBe(3);
    expect([...(index?.offsets ?? [])]).toEqual([12, 40, 2 ** 40]);
    expect(index?.ids.toString('hex', index.idOffset(1), index.idOffset(1) + 20)).toBe(id('1'));
  });

  it('is not finished before every announced entry is added', () => {
    const builder = new PackEntryIndexBuilder(2, 20);
    builder.add(id('a'), 12);
    expect(builder.finish()).toBeUndefined();
  });

  it.each([
    ['another entry count', built([12, 40]), 100, 3],
    ['offsets out of order', built([40, 12]), 100, 2],
    ['an offset inside the header', built([4, 40]), 100, 2],
    ['an offset inside the checksum', built([12, 90]), 100, 2],
    ['a truncated file', built([12, 40]).subarray(0, 40), 100, 2],
    ['another magic', Buffer.concat([Buffer.from('XXXX'), built([12]).subarray(4)]), 100, 1],
    ['an unknown id length', Buffer.from([0x4d, 0x50, 0x45, 0x49, 1, 21]), 100, 0],
    ['nothing', Buffer.alloc(0), 100, 0],
  ])('refuses %s', (_name, bytes, packSize, count) => {
    expect(parsePackEntryIndex(bytes, packSize, count)).toBeUndefined();
  });
});
