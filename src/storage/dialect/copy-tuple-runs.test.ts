import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCopyTuples, encodeCopyTuples } from './copy-binary-encoder.js';
import { mergeTupleRuns } from './copy-tuple-runs.js';
import type { ColumnKind } from './postgres-arrays.js';

const KINDS: readonly ColumnKind[] = ['text', 'bigint', 'blob', 'text'];
type Row = [string | null, number, Buffer | null, string | null];

function row(key: string | null, number: number): Row {
  return [key, number, number % 3 === 0 ? null : randomBytes(number % 50), number % 2 ? 'é' : null];
}

/** Each run sorted by its key as bytes, encoded as `BulkInserter.add` holds it (small pieces). */
function encodeRuns(runs: Row[][], pieceBytes = 64): Buffer[][] {
  return runs.map((run) => [...encodeCopyTuples(KINDS, run, pieceBytes)]);
}

function byKeyBytes(a: Row, b: Row): number {
  if (a[0] === null || b[0] === null) return a[0] === null ? (b[0] === null ? 0 : -1) : 1;
  return Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]));
}

describe('mergeTupleRuns', () => {
  it('merges sorted runs of hex ids into the bytes of all rows encoded in key order', () => {
    let number = 0;
    const runs = [5, 1, 17, 0, 9].map((size) =>
      Array.from({ length: size }, () => row(randomBytes(20).toString('hex'), number++)).sort(byKeyBytes),
    );
    const merged = mergeTupleRuns(encodeRuns(runs), 200);
    const expected = Buffer.concat([...encodeCopyTuples(KINDS, runs.flat().sort(byKeyBytes))]);
    expect(Buffer.concat(merged)).toEqual(expected);
    // Pieces of whole tuples, about the size asked for.
    expect(decodeCopyTuples(KINDS, merged)).toHaveLength(32);
    for (const piece of merged.slice(0, -1)) expect(piece.length).toBeLessThanOrEqual(200);
  });

  it.each([
    ['ids sharing their first four bytes', ['abcd01', 'abcd1'], ['abcd00', 'abcd02']],
    ['a key that is a prefix of another', ['ab', 'abcd'], ['a', 'abc', 'abcde']],
    ['bytes past ASCII', ['z', '\u00e9'], ['a', '\u00ff']],
  ])('orders %s by their bytes', (_name, first, second) => {
    const runs = [first.map((key, at) => row(key, at)), second.map((key, at) => row(key, 10 + at))];
    const merged = decodeCopyTuples(KINDS, mergeTupleRuns(encodeRuns(runs)));
    const keys = merged.map((values) => values[0] as string);
    expect(keys).toEqual(
      [...first, ...second].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
  });

  it('puts NULL keys first and keeps equal keys in the order of their runs', () => {
    const runs = [[row(null, 1), row('b', 2)], [row(null, 3), row('a', 4), row('b', 5)], [row('b', 6)]];
    const merged = decodeCopyTuples(KINDS, mergeTupleRuns(encodeRuns(runs)));
    expect(merged.map((values) => [values[0], values[1]])).toEqual([
      [null, 1],
      [null, 3],
      ['a', 4],
      ['b', 2],
      ['b', 5],
      ['b', 6],
    ]);
  });

  it('gives one run back as it is, and nothing for no rows', () => {
    const [only] = encodeRuns([[row('a', 1), row('b', 2)]]);
    expect(mergeTupleRuns([only!])).toEqual(only);
    expect(mergeTupleRuns([])).toEqual([]);
    expect(mergeTupleRuns([[], []])).toEqual([]);
  });

  it('makes a piece of its own for a tuple bigger than the piece size', () => {
    const big: Row = ['m', 1, Buffer.alloc(1000, 7), null];
    const runs = encodeRuns([[row('a', 2), big], [row('z', 3)]]);
    const merged = mergeTupleRuns(runs, 100);
    expect(merged.some((piece) => piece.length > 1000)).toBe(true);
    expect(decodeCopyTuples(KINDS, merged).map((values) => values[0])).toEqual(['a', 'm', 'z']);
  });

  it('refuses a piece that ends inside a tuple or a tuple without fields', () => {
    const piece = encodeRuns([[row('abc', 1)]], 1 << 20)[0]![0]!;
    expect(() => mergeTupleRuns([[piece.subarray(0, piece.length - 1)], [piece]])).toThrow(RangeError);
    expect(() => mergeTupleRuns([[Buffer.from([0, 0])], [piece]])).toThrow(RangeError);
  });
});
