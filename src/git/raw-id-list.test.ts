import { describe, expect, it } from 'vitest';
import { hashObject } from './object.js';
import { SHA1, SHA256 } from './object-format.js';
import { RawIdList } from './raw-id-list.js';

describe.each([SHA1, SHA256])('RawIdList (%s)', (format) => {
  it('gives back every id pushed, across storage chunks', () => {
    const ids = Array.from({ length: 70_000 }, (_, i) => hashObject('blob', Buffer.from(`${i}`), format));
    const list = new RawIdList(format);
    for (const id of ids) list.push(id);
    expect(list.length).toBe(ids.length);
    for (const at of [0, 1, 65_535, 65_536, 69_999]) expect(list.at(at)).toBe(ids[at]);
  });

  it('takes raw ids from inside a buffer as it takes hex ones', () => {
    const ids = Array.from({ length: 70_000 }, (_, i) => hashObject('blob', Buffer.from(`${i}`), format));
    const list = new RawIdList(format);
    for (const id of ids) {
      const bytes = Buffer.concat([Buffer.from([7, 7, 7]), Buffer.from(id, 'hex'), Buffer.from([9])]);
      list.pushRaw(bytes, 3);
    }
    expect(list.length).toBe(ids.length);
    for (const at of [0, 1, 65_535, 65_536, 69_999]) expect(list.at(at)).toBe(ids[at]);
  });
});
