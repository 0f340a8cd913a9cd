import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rowsById } from './rows-by-id.js';

/** What `rowsById` must give: a stable sort by a string comparison of the ids. */
function byStringSort<Row extends readonly [string, ...unknown[]]>(rows: readonly Row[]): Row[] {
  return [...rows].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const hexId = () => randomBytes(20).toString('hex');

describe('rowsById', () => {
  it('orders rows as a stable string sort of their ids, with the positions they had', () => {
    const rows = Array.from({ length: 2000 }, (_, at) => [hexId(), at] as const);
    const { rows: sorted, positions } = rowsById(rows);
    expect(sorted).toEqual(byStringSort(rows));
    expect(Array.from(positions, (at) => rows[at])).toEqual(sorted);
  });

  it('orders ids sharing their first 32 bits by the rest, and equal ids by arrival', () => {
    const shared = 'deadbeef';
    const rows = [
      [`${shared}${'9'.repeat(32)}`, 0],
      [`${'0'.repeat(40)}`, 1],
      [`${shared}${'1'.repeat(32)}`, 2],
      [`${shared}${'f'.repeat(32)}`, 3],
      [`${shared}${'1'.repeat(32)}`, 4],
      [`${'f'.repeat(40)}`, 5],
      [`${shared}${'0'.repeat(32)}`, 6],
    ] as const;
    const { rows: sorted, positions } = rowsById(rows);
    expect(sorted).toEqual(byStringSort(rows));
    expect([...positions]).toEqual([1, 6, 2, 4, 0, 3, 5]);
  });

  it('sorts SHA-256 ids, an empty list, and more rows than its keys hold positions for', () => {
    const sha256 = Array.from({ length: 300 }, (_, at) => [randomBytes(32).toString('hex'), at] as const);
    expect(rowsById(sha256).rows).toEqual(byStringSort(sha256));
    expect(rowsById([]).rows).toEqual([]);
    const many = Array.from(
      { length: 70_000 },
      (_, at) => [hexId().slice(0, 10).padEnd(40, '0'), at] as const,
    );
    expect(rowsById(many).rows).toEqual(byStringSort(many));
  });
});
