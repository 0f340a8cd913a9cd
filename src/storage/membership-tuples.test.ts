import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SHA1, SHA256, type ObjectFormat } from '../git/object-format.js';
import { ObjectIdSet } from '../git/object-id-set.js';
import { encodeCopyTuples } from './dialect/copy-binary-encoder.js';
import { encodeBulkExecutePacket, encodeBulkExecuteRows } from './dialect/mysql-bulk-execute.js';
import { membershipBulkRows, membershipCopyTuples, membershipJson, sortById } from './membership-tuples.js';

/** A set of `count` random ids, plus ids sharing their first 4 (and 19) bytes with the first. */
function idSet(format: ObjectFormat, count: number): ObjectIdSet {
  const ids = new ObjectIdSet(format);
  const first = randomBytes(format.rawLength);
  ids.addRaw(first, 0);
  for (const shared of [4, 4, 5, format.rawLength - 1]) {
    const id = Buffer.concat([first.subarray(0, shared), randomBytes(format.rawLength - shared)]);
    ids.addRaw(id, 0);
  }
  while (ids.size < count) ids.addRaw(randomBytes(format.rawLength), 0);
  return ids;
}

const allNumbers = (ids: ObjectIdSet) => Int32Array.from({ length: ids.size }, (_, number) => number);

describe('sortById', () => {
  it.each([
    ['SHA-1', SHA1],
    ['SHA-256', SHA256],
  ])('orders %s ids as their hex forms sort, ids sharing their first 32 bits too', (_, format) => {
    const ids = idSet(format, 3_000);
    const numbers = allNumbers(ids);
    sortById(numbers, ids);
    const hex = Array.from(numbers, (number) => ids.idAt(number));
    expect(hex).toEqual(Array.from(allNumbers(ids), (number) => ids.idAt(number)).sort());
    expect(new Set(numbers).size).toBe(ids.size);
  });

  it('leaves empty and one-id lists as they are, and sorts a sub-range in place', () => {
    const ids = idSet(SHA1, 40);
    const empty = new Int32Array(0);
    sortById(empty, ids);
    expect(empty.length).toBe(0);
    const one = Int32Array.of(7);
    sortById(one, ids);
    expect(Array.from(one)).toEqual([7]);
    const numbers = allNumbers(ids);
    const middle = numbers.subarray(10, 30);
    sortById(middle, ids);
    expect(Array.from(numbers.subarray(0, 10))).toEqual(Array.from({ length: 10 }, (_, at) => at));
    const hex = Array.from(middle, (number) => ids.idAt(number));
    expect(hex).toEqual([...hex].sort());
  });
});

describe('membershipCopyTuples', () => {
  it.each([
    ['SHA-1', SHA1, 7],
    ['SHA-256', SHA256, 2 ** 40 + 3],
  ])('writes the bytes the generic encoder makes of [repo, hex id] rows (%s)', (_, format, repoId) => {
    const ids = idSet(format, 500);
    const members = allNumbers(ids).reverse();
    const rows = Array.from(members, (number) => [repoId, ids.idAt(number)]);
    const expected = Buffer.concat([...encodeCopyTuples(['bigint', 'text'], rows)]);
    expect(Buffer.concat([...membershipCopyTuples(repoId, members, ids)])).toEqual(expected);
  });

  it('makes pieces of whole rows, at least one row each, only as they are asked for', () => {
    const ids = idSet(SHA1, 100);
    const members = allNumbers(ids);
    const rowBytes = 2 + 4 + 8 + 4 + SHA1.hexLength;
    const pieces = [...membershipCopyTuples(1, members, ids, rowBytes * 30 + 5)];
    expect(pieces.map((piece) => piece.length)).toEqual([30, 30, 30, 10].map((rows) => rows * rowBytes));
    expect([...membershipCopyTuples(1, members, ids, 1)]).toHaveLength(100);
    expect([...membershipCopyTuples(1, new Int32Array(0), ids)]).toEqual([]);
    const lazy = membershipCopyTuples(1, members, ids, rowBytes);
    members[1] = 99;
    lazy.next();
    expect(lazy.next().value).toEqual(Buffer.concat([...membershipCopyTuples(1, Int32Array.of(99), ids)]));
  });

  it('refuses a repository id that is not a safe integer, before any piece', () => {
    const ids = idSet(SHA1, 10);
    expect(() => [...membershipCopyTuples(2 ** 53, allNumbers(ids), ids)]).toThrow(/safe integer/);
    expect(() => [...membershipCopyTuples(1.5, allNumbers(ids), ids)]).toThrow(/safe integer/);
  });
});

describe('membershipBulkRows', () => {
  it.each([
    ['SHA-1', SHA1, 7],
    ['SHA-256', SHA256, 2 ** 40 + 3],
  ])('makes the bulk execute the generic encoder makes of [repo, hex id] rows (%s)', (_, format, repoId) => {
    const ids = idSet(format, 500);
    const members = allNumbers(ids).reverse();
    const rows = Array.from(members, (number) => [repoId, ids.idAt(number)]).flat();
    const encoded = membershipBulkRows(repoId, members, ids);
    // The first four bytes (length, sequence id) are the connection's to write.
    expect(encodeBulkExecuteRows(9, encoded)!.subarray(4)).toEqual(
      encodeBulkExecutePacket(9, 2, rows)!.subarray(4),
    );
    expect(encoded.values()).toEqual(rows);
  });
});

describe('membershipJson', () => {
  it.each([
    ['SHA-1', SHA1],
    ['SHA-256', SHA256],
  ])('writes the text JSON.stringify makes of the %s hex ids, in the order given', (_, format) => {
    const ids = idSet(format, 1_000);
    const numbers = allNumbers(ids);
    sortById(numbers, ids);
    const hex = (members: Int32Array) => Array.from(members, (number) => ids.idAt(number));
    expect(membershipJson(numbers, ids)).toBe(JSON.stringify(hex(numbers)));
    const part = numbers.subarray(100, 101);
    expect(membershipJson(part, ids)).toBe(JSON.stringify(hex(part)));
  });

  it('writes an empty array for no members', () => {
    expect(membershipJson(new Int32Array(0), idSet(SHA1, 1))).toBe('[]');
  });
});
