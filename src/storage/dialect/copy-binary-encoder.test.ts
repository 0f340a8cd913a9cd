import { describe, expect, it } from 'vitest';
import { CopyBinaryDecoder, type CopyTuple } from './copy-binary-decoder.js';
import {
  decodeCopyTuples,
  encodeCopyBinary,
  encodeCopyBinaryPieces,
  encodeCopyTuples,
} from './copy-binary-encoder.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** What the server would read back: the tuples of the encoded stream, by our own decoder. */
function decode(data: Buffer): CopyTuple[] {
  const tuples: CopyTuple[] = [];
  const decoder = new CopyBinaryDecoder();
  decoder.push(data, (tuple) => tuples.push(tuple));
  decoder.finish();
  return tuples;
}

describe('encodeCopyBinary', () => {
  it('lays out header, field counts, lengths, big-endian integers and the trailer', () => {
    const encoded = encodeCopyBinary(['integer', 'bigint', 'text', 'blob'], [[7, -2, 'é', null]]);
    expect(encoded.subarray(0, 11)).toEqual(SIGNATURE);
    expect(encoded.subarray(11).toString('hex')).toBe(
      [
        '00000000', // flags
        '00000000', // header extension
        '0004', // four fields
        '00000004',
        '00000007',
        '00000008',
        'fffffffffffffffe',
        '00000002',
        'c3a9',
        'ffffffff', // NULL
        'ffff', // trailer
      ].join(''),
    );
  });

  it('round-trips every byte value, empty values, NULLs and no rows', () => {
    const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const rows = [
      [everyByte, '', 0],
      [Buffer.alloc(0), 'ä/日本/😀', 2 ** 53 - 1],
      [null, null, null],
    ];
    const tuples = decode(encodeCopyBinary(['blob', 'text', 'bigint'], rows));
    expect(tuples.map((tuple) => tuple[0])).toEqual([everyByte, Buffer.alloc(0), null]);
    expect(tuples.map((tuple) => tuple[1]?.toString('utf8') ?? null)).toEqual(['', 'ä/日本/😀', null]);
    expect(tuples[1]![2]!.readBigInt64BE()).toBe(2n ** 53n - 1n);
    expect(decode(encodeCopyBinary(['blob'], []))).toEqual([]);
  });

  it('keeps a value of the largest size a write buffers (8 MiB) whole', () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 0xa5);
    const [tuple] = decode(encodeCopyBinary(['blob'], [[big]]));
    expect(tuple![0]!.equals(big)).toBe(true);
  });

  it.each([
    ['a row of the wrong width', ['integer', 'text'], [[1]]],
    ['an integer beyond 32 bits', ['integer'], [[2 ** 31]]],
    ['a fraction', ['integer'], [[1.5]]],
    ['a bigint beyond 2^53', ['bigint'], [[2 ** 53]]],
    ['a number that is not one', ['bigint'], [['12x']]],
    ['an integer below -2^31', ['integer'], [[-(2 ** 31) - 1]]],
  ] as const)('refuses %s before anything is sent', (_name, kinds, rows) => {
    expect(() => encodeCopyBinary(kinds, rows)).toThrow();
    // The pieces are checked whole before the first is made: a bad last row refuses them all.
    const good = Array.from({ length: 1000 }, () => kinds.map((kind) => (kind === 'text' ? 'x' : 1)));
    expect(() => encodeCopyBinaryPieces(kinds, [...good, ...rows], 64)).toThrow();
  });

  it('cuts the tuples into pieces of whole rows about the asked size, the same bytes as one stream', () => {
    const kinds = ['bigint', 'text', 'blob'] as const;
    const rows = Array.from({ length: 500 }, (_, n) => [n, `row ${n}`, Buffer.alloc(n % 37, n)]);
    const pieces = [...encodeCopyTuples(kinds, rows, 1000)];
    expect(pieces.length).toBeGreaterThan(10);
    // Rows of up to ~60 bytes: every piece but the last is close to the size, none above it.
    for (const piece of pieces.slice(0, -1)) {
      expect(piece.length).toBeLessThanOrEqual(1000);
      expect(piece.length).toBeGreaterThan(900);
    }
    const whole = Buffer.concat([...encodeCopyBinaryPieces(kinds, rows, 1000)]);
    expect(whole.equals(encodeCopyBinary(kinds, rows))).toBe(true);
    expect(decode(whole).map((tuple) => tuple[0]!.readBigInt64BE())).toEqual(rows.map((_, n) => BigInt(n)));
  });

  it('makes a row bigger than a piece a piece of its own, and no rows no piece', () => {
    const big = Buffer.alloc(5000, 7);
    const pieces = [...encodeCopyTuples(['blob'], [[Buffer.from('a')], [big], [Buffer.from('b')]], 100)];
    expect(pieces.map((piece) => piece.length)).toEqual([2 + 4 + 1, 2 + 4 + 5000, 2 + 4 + 1]);
    expect([...encodeCopyTuples(['blob'], [])]).toEqual([]);
    expect(Buffer.concat([...encodeCopyBinaryPieces(['blob'], [])])).toEqual(encodeCopyBinary(['blob'], []));
  });

  it('reads held tuples back as the values they were made of, across pieces of several batches', () => {
    const kinds = ['text', 'bigint', 'integer', 'blob'] as const;
    const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const first = [
      ['a'.repeat(40), 2 ** 53 - 1, -(2 ** 31), everyByte],
      ['ä/日本/😀', -1, 2 ** 31 - 1, Buffer.alloc(0)],
    ];
    const second = [
      ['', 0, 0, null],
      [null, null, null, Buffer.alloc(3000, 9)],
    ];
    const held = [...encodeCopyTuples(kinds, first, 64), ...encodeCopyTuples(kinds, second, 64)];
    expect(decodeCopyTuples(kinds, held)).toEqual([...first, ...second]);
    expect(decodeCopyTuples(kinds, [])).toEqual([]);
  });

  it('refuses held tuples that are not whole, or of another width', () => {
    const [piece] = encodeCopyTuples(['text', 'bigint'], [['x', 1]]);
    expect(() => decodeCopyTuples(['text', 'bigint'], [piece!.subarray(0, piece!.length - 1)])).toThrow();
    expect(() => decodeCopyTuples(['text'], [piece!])).toThrow();
  });
});
