import { describe, expect, it } from 'vitest';
import { ConcatenatedRows } from './concatenated-rows.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

/** One row as `concatenatedRowsSql` writes it. */
function row(
  key: number,
  id: string,
  type: string,
  size: number,
  payload: number,
  base: string,
  data: Buffer,
) {
  return Buffer.concat([
    Buffer.from(`${key} ${id} ${type} ${size} ${payload} ${data.length} ${base} `),
    data,
  ]);
}

function readAll(bytes: Buffer) {
  const rows = new ConcatenatedRows(bytes);
  const read = [];
  while (rows.next()) {
    read.push({
      key: rows.key,
      type: rows.type,
      size: rows.size,
      payloadSize: rows.payloadSize,
      deltaBase: rows.deltaBase,
      data: Buffer.from(rows.data),
      holdsA: rows.holds(A),
    });
  }
  return read;
}

describe('ConcatenatedRows', () => {
  it('reads rows with and without a delta base, data holding spaces, digits and NULs', () => {
    const odd = Buffer.from('12 34 \0 tree ');
    const bytes = Buffer.concat([
      row(7, A, 'blob', 5, 5, '', Buffer.from('hello')),
      row(281474976710655, B, 'tree', 300, 12, A, odd),
      row(9, A, 'commit', 0, 0, '', Buffer.alloc(0)),
      row(10, B, 'tag', 1, 1, '', Buffer.from(' ')),
    ]);
    expect(readAll(bytes)).toEqual([
      {
        key: 7,
        type: 'blob',
        size: 5,
        payloadSize: 5,
        deltaBase: undefined,
        data: Buffer.from('hello'),
        holdsA: true,
      },
      {
        key: 281474976710655,
        type: 'tree',
        size: 300,
        payloadSize: 12,
        deltaBase: A,
        data: odd,
        holdsA: false,
      },
      {
        key: 9,
        type: 'commit',
        size: 0,
        payloadSize: 0,
        deltaBase: undefined,
        data: Buffer.alloc(0),
        holdsA: true,
      },
      {
        key: 10,
        type: 'tag',
        size: 1,
        payloadSize: 1,
        deltaBase: undefined,
        data: Buffer.from(' '),
        holdsA: false,
      },
    ]);
  });

  it('holds an id only when every character and the length match', () => {
    const rows = new ConcatenatedRows(row(1, A, 'blob', 1, 1, '', Buffer.from('x')));
    expect(rows.next()).toBe(true);
    expect(rows.holds(A)).toBe(true);
    expect(rows.holds(`${'a'.repeat(39)}b`)).toBe(false);
    expect(rows.holds('a'.repeat(64))).toBe(false);
    expect(rows.next()).toBe(false);
  });

  it('reads nothing from no bytes', () => {
    expect(readAll(Buffer.alloc(0))).toEqual([]);
  });

  it.each([
    ['a key that is not a number', Buffer.from(`x ${A} blob 1 1 1  x`)],
    ['an empty number', Buffer.from(`1 ${A} blob  1 1  x`)],
    ['an unknown type', Buffer.from(`1 ${A} blot 1 1 1  x`)],
    ['a type of the right length and first letter', Buffer.from(`1 ${A} tray 1 1 1  x`)],
    ['data past the end', Buffer.from(`1 ${A} blob 1 1 2  x`)],
    ['a header cut short', Buffer.from(`1 ${A} blob 1`)],
    ['a field without its space', Buffer.from(`1 ${A}`)],
  ])('refuses %s', (_, bytes) => {
    const rows = new ConcatenatedRows(bytes);
    expect(() => rows.next()).toThrow(expect.objectContaining({ code: 'object_corrupt' }));
  });
});
