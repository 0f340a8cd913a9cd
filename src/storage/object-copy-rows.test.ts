import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SHA1, SHA256, type ObjectFormat } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import { ObjectIdSet } from '../git/object-id-set.js';
import type { ColumnKind } from './dialect/postgres-arrays.js';
import { decodeCopyTuples, encodeCopyTuples } from './dialect/copy-binary-encoder.js';
import { ObjectCopyRows, type ObjectRow } from './object-copy-rows.js';
import { RAW_OBJECT_COLUMNS } from './object-writer.js';
import { rowsById } from './rows-by-id.js';

const KINDS = Object.values(RAW_OBJECT_COLUMNS) as ColumnKind[];

/** Rows of every shape: whole, delta, chunked, repeated ids and ids sharing their first 32 bits. */
function sampleRows(format: ObjectFormat, count: number): ObjectRow[] {
  const id = () => randomBytes(format.rawLength).toString('hex') as ObjectId;
  const shared = `deadbeef${'0'.repeat(format.hexLength - 8)}`;
  const ids = Array.from({ length: count }, (_, at) =>
    at % 50 === 7 ? (`deadbeef${id().slice(8)}` as ObjectId) : id(),
  );
  ids.push(shared as ObjectId, ids[3]!);
  return ids.map((gitId, at): ObjectRow => {
    if (at % 5 === 1) return [gitId, 'blob', 'chunks', 5_000_000 + at, null, 0, 5_000_000 + at, null];
    const data = randomBytes(at % 97);
    if (at % 3 === 0)
      return [gitId, 'tree', 'database', 2 ** 40 + at, ids[at - 1] ?? ids[0]!, at % 50, 17, data];
    const type = (['commit', 'blob', 'tag', 'tree'] as const)[at % 4]!;
    return [gitId, type, 'database', at, null, 0, at, data];
  });
}

/** `rows` into an `ObjectCopyRows` of a fresh id set. */
function buffered(format: ObjectFormat, rows: readonly ObjectRow[]): ObjectCopyRows {
  const ids = new ObjectIdSet(format);
  const copyRows = new ObjectCopyRows(ids);
  for (const [gitId, type, storage, size, base, depth, payloadSize, data] of rows) {
    expect(storage === 'chunks').toBe(data === null);
    copyRows.push(ids.add(gitId), type, size, base === null ? -1 : ids.add(base), depth, payloadSize, data);
  }
  return copyRows;
}

describe('ObjectCopyRows', () => {
  it.each([SHA1, SHA256])(
    'encodes the bytes the generic encoder makes of the rows in id order (%s)',
    (format) => {
      const rows = sampleRows(format, 700);
      const copyRows = buffered(format, rows);
      expect(copyRows.length).toBe(rows.length);
      const expected = Buffer.concat([...encodeCopyTuples(KINDS, rowsById(rows).rows)]);
      expect(Buffer.concat(copyRows.takeTuples())).toEqual(expected);
      expect(copyRows.length).toBe(0);
      expect(copyRows.takeTuples()).toEqual([]);
    },
  );

  it('cuts pieces at whole rows, a row bigger than a piece on its own', () => {
    const rows = sampleRows(SHA1, 40);
    rows.push([
      randomBytes(20).toString('hex') as ObjectId,
      'blob',
      'database',
      9000,
      null,
      0,
      9000,
      randomBytes(9000),
    ]);
    const pieces = buffered(SHA1, rows).takeTuples(1024);
    expect(pieces.length).toBeGreaterThan(3);
    const decoded = pieces.flatMap((piece) => decodeCopyTuples(KINDS, [piece]));
    expect(decoded).toEqual(decodeCopyTuples(KINDS, encodeCopyTuples(KINDS, rowsById(rows).rows)));
    for (const piece of pieces)
      expect(piece.length <= 1024 || decodeCopyTuples(KINDS, [piece]).length === 1).toBe(true);
  });

  it('gives the rows back as values with hex ids, in the order they came', () => {
    const rows = sampleRows(SHA1, 100);
    const copyRows = buffered(SHA1, rows);
    expect(copyRows.takeValues()).toEqual(rows);
    expect(copyRows.length).toBe(0);
  });

  it('grows past its first columns', () => {
    const rows = sampleRows(SHA1, 5000);
    const decoded = decodeCopyTuples(KINDS, buffered(SHA1, rows).takeTuples());
    expect(decoded).toHaveLength(rows.length);
    expect(decoded.map((row) => row[0])).toEqual(rowsById(rows).rows.map((row) => row[0]));
  });

  it('refuses sizes and depths the columns cannot hold exactly, before buffering the row', () => {
    const ids = new ObjectIdSet(SHA1);
    const copyRows = new ObjectCopyRows(ids);
    const number = ids.add('a'.repeat(40) as ObjectId);
    const data = Buffer.from('x');
    for (const size of [2 ** 53, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => copyRows.push(number, 'blob', size, -1, 0, 1, data)).toThrow(TypeError);
      expect(() => copyRows.push(number, 'blob', 1, -1, 0, size, data)).toThrow(TypeError);
    }
    for (const depth of [-1, 2 ** 31, 0.5])
      expect(() => copyRows.push(number, 'blob', 1, -1, depth, 1, data)).toThrow(TypeError);
    expect(copyRows.length).toBe(0);
  });
});
