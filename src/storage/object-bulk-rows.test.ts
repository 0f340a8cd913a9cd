import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeBulkExecutePacket, encodeBulkExecuteRows } from './dialect/mysql-bulk-execute.js';
import { objectBulkRows, type ObjectRowValues } from './object-bulk-rows.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Rows like an ingest's: deltas and whole objects, chunked rows (no data), big and empty payloads. */
function objectRows(idBytes: number, count: number): ObjectRowValues[] {
  const types = ['blob', 'tree', 'commit', 'tag'];
  const sizes = [0, 1, 250, 251, 65_535, 65_536, 70_000];
  return Array.from({ length: count }, (_, at): ObjectRowValues => {
    const size = 2 ** 40 + at;
    if (at % 7 === 3) return [hex(idBytes), 'blob', 'chunks', size, null, 0, size, null];
    const data = randomBytes(at < sizes.length ? sizes[at]! : 60 + ((at * 37) % 140));
    const delta = at % 5 !== 0;
    return [
      hex(idBytes),
      types[at % 4]!,
      'database',
      size,
      delta ? hex(idBytes) : null,
      delta ? at % 50 : 0,
      data.length,
      data,
    ];
  });
}

/** The packet the generic encoder makes of the rows' plain values (its header's 4 bytes left out). */
const generic = (rows: ObjectRowValues[]) => encodeBulkExecutePacket(9, 8, rows.flat())!.subarray(4);

describe('objectBulkRows', () => {
  it.each([
    ['SHA-1', 20],
    ['SHA-256', 32],
  ])('makes the bulk execute the generic encoder makes of the rows (%s ids)', (_, idBytes) => {
    const rows = objectRows(idBytes, 500);
    const encoded = objectBulkRows(rows);
    expect(encodeBulkExecuteRows(9, encoded)!.subarray(4).equals(generic(rows))).toBe(true);
    expect(encoded.values()).toEqual(rows.flat());
  });

  it('does so for rows with no delta base and only chunked rows (columns of NULLs)', () => {
    const whole = objectRows(20, 200).map((row): ObjectRowValues => [
      row[0],
      row[1],
      row[2],
      row[3],
      null,
      0,
      row[6],
      row[7],
    ]);
    expect(encodeBulkExecuteRows(1, objectBulkRows(whole))!.subarray(4)).toEqual(
      encodeBulkExecutePacket(1, 8, whole.flat())!.subarray(4),
    );
    const chunked: ObjectRowValues[] = [[hex(20), 'blob', 'chunks', 2 ** 33, null, 0, 2 ** 33, null]];
    expect(encodeBulkExecuteRows(1, objectBulkRows(chunked))!.subarray(4)).toEqual(
      encodeBulkExecutePacket(1, 8, chunked.flat())!.subarray(4),
    );
  });
});
