import { describe, expect, it } from 'vitest';
import { hashObject } from './object.js';
import { SHA1, SHA256 } from './object-format.js';
import { ObjectIdSet } from './object-id-set.js';

describe.each([SHA1, SHA256])('ObjectIdSet (%s)', (format) => {
  const ids = Array.from({ length: 5000 }, (_, i) => hashObject('blob', Buffer.from(`blob ${i}`), format));

  it('numbers ids in order of first sight and lists them as hex', () => {
    const set = new ObjectIdSet(format);
    ids.forEach((id, i) => expect(set.add(id)).toBe(i));
    expect(set.add(ids[17]!)).toBe(17);
    expect(set.size).toBe(ids.length);
    expect([...set]).toEqual(ids);
    expect(set.idAt(4321)).toBe(ids[4321]);
    expect(set.leadingByte(3)).toBe(parseInt(ids[3]!.slice(0, 2), 16));
  });

  it('numbers raw ids like the same hex ids, and keeps numbers across its growth', () => {
    const set = new ObjectIdSet(format);
    const bytes = Buffer.concat(ids.map((id) => Buffer.from(id, 'hex')));
    ids.forEach((id, i) => {
      if (i % 2 === 0) expect(set.add(id)).toBe(i);
      else expect(set.addRaw(bytes, i * format.rawLength)).toBe(i);
    });
    ids.forEach((id, i) => expect(set.addRaw(bytes, i * format.rawLength)).toBe(i));
    ids.forEach((id, i) => expect(set.numberOf(id)).toBe(i));
    expect(set.size).toBe(ids.length);
  });

  it('answers membership, and no for what is not an id of its format', () => {
    const set = new ObjectIdSet(format);
    for (const id of ids.slice(0, 100)) set.add(id);
    expect(set.has(ids[50]!)).toBe(true);
    expect(set.numberOf(ids[50]!)).toBe(50);
    expect(set.has(ids[150]!)).toBe(false);
    expect(set.has('')).toBe(false);
    expect(set.has(ids[50]!.slice(0, -2))).toBe(false);
    expect(set.has(`zz${ids[50]!.slice(2)}`)).toBe(false);
    expect(set.has(format === SHA1 ? SHA256.zeroId : SHA1.zeroId)).toBe(false);
  });
});
