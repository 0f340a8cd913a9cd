import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SHA1, SHA256, type ObjectFormat } from '../git/object-format.js';
import type { ObjectId } from '../git/object-id.js';
import { ObjectIdSet } from '../git/object-id-set.js';
import { encodeBulkExecutePacket, encodeBulkExecuteRows } from './dialect/mysql-bulk-execute.js';
import { objectBulkStatements } from './object-bulk-rows.js';
import { ObjectCopyRows, type ObjectRow } from './object-copy-rows.js';
import { rowsById } from './rows-by-id.js';

/**
 * Rows like an ingest's: deltas and whole objects of every type, chunked rows (no data), payloads
 * of 0, 250, 251, 65,535, 65,536 and 70,000 bytes (the length codes' edges), sizes over 2^32, a
 * repeated id and ids sharing their first 32 bits.
 */
function objectRows(format: ObjectFormat, count: number): ObjectRow[] {
  const id = () => randomBytes(format.rawLength).toString('hex') as ObjectId;
  const types = ['blob', 'tree', 'commit', 'tag'] as const;
  const payloads = [0, 1, 250, 251, 65_535, 65_536, 70_000];
  const ids = Array.from({ length: count }, (_, at) =>
    at % 40 === 9 ? (`cafef00d${id().slice(8)}` as ObjectId) : id(),
  );
  ids.push(ids[5]!);
  return ids.map((gitId, at): ObjectRow => {
    const size = 2 ** 40 + at;
    if (at % 7 === 3) return [gitId, 'blob', 'chunks', size, null, 0, size, null];
    const data = randomBytes(at < payloads.length ? payloads[at]! : 60 + ((at * 37) % 140));
    const delta = at % 5 !== 0;
    return [
      gitId,
      types[at % 4]!,
      'database',
      size,
      delta ? id() : null,
      delta ? at % 50 : 0,
      data.length,
      data,
    ];
  });
}

/** `rows` buffered in an `ObjectCopyRows` of a fresh id set, as the object writer buffers them. */
function buffered(format: ObjectFormat, rows: readonly ObjectRow[]): ObjectCopyRows {
  const ids = new ObjectIdSet(format);
  const copyRows = new ObjectCopyRows(ids);
  for (const [gitId, type, , size, base, depth, payloadSize, data] of rows)
    copyRows.push(ids.add(gitId), type, size, base === null ? -1 : ids.add(base), depth, payloadSize, data);
  return copyRows;
}

/** The packet the generic encoder makes of the rows' plain values (its header's 4 bytes left out). */
const generic = (rows: readonly ObjectRow[]) => encodeBulkExecutePacket(9, 8, rows.flat())!.subarray(4);

describe('objectBulkStatements', () => {
  it.each([SHA1, SHA256])(
    'makes the bulk execute the generic encoder makes of the rows in id order (%s)',
    (format) => {
      const rows = objectRows(format, 500);
      const { columns, order } = buffered(format, rows).takeColumns();
      const statements = [...objectBulkStatements(columns, order, 64 * 1024 * 1024)];
      expect(statements).toHaveLength(1);
      const sorted = rowsById(rows).rows;
      expect(encodeBulkExecuteRows(9, statements[0]!)!.subarray(4).equals(generic(sorted))).toBe(true);
      expect(statements[0]!.values()).toEqual(sorted.flat());
    },
  );

  it('does so for rows with no delta base and only chunked rows (columns of NULLs)', () => {
    const whole = objectRows(SHA1, 200).map(
      (row): ObjectRow => [...row.slice(0, 4), null, 0, ...row.slice(6)] as ObjectRow,
    );
    const { columns, order } = buffered(SHA1, whole).takeColumns();
    const [statement] = objectBulkStatements(columns, order, 64 * 1024 * 1024);
    expect(encodeBulkExecuteRows(9, statement!)!.subarray(4)).toEqual(generic(rowsById(whole).rows));
    const chunked: ObjectRow[] = [
      ['ab'.repeat(20) as ObjectId, 'blob', 'chunks', 2 ** 33, null, 0, 2 ** 33, null],
    ];
    const one = buffered(SHA1, chunked).takeColumns();
    const [only] = objectBulkStatements(one.columns, one.order, 1);
    expect(encodeBulkExecuteRows(9, only!)!.subarray(4)).toEqual(generic(chunked));
  });

  it('splits statements at whole rows by their payloads, as batchRows does, a bigger row alone', () => {
    const rows = objectRows(SHA1, 300);
    const { columns, order } = buffered(SHA1, rows).takeColumns();
    const statements = [...objectBulkStatements(columns, order, 70_000)];
    expect(statements.length).toBeGreaterThan(2);
    const values = statements.flatMap((statement) => statement.values());
    expect(values).toEqual(rowsById(rows).rows.flat());
    for (const statement of statements) {
      const payloads = statement.values().filter((value) => Buffer.isBuffer(value)) as Buffer[];
      const bytes = payloads.reduce((sum, payload) => sum + payload.length, 0);
      expect(bytes <= 70_000 || payloads.length === 1).toBe(true);
    }
  });

  it('keeps a statement as it was while the next rows are buffered (the columns are handed over)', () => {
    const ids = new ObjectIdSet(SHA1);
    const copyRows = new ObjectCopyRows(ids);
    const rows = objectRows(SHA1, 50);
    for (const [gitId, type, , size, base, depth, payloadSize, data] of rows)
      copyRows.push(ids.add(gitId), type, size, base === null ? -1 : ids.add(base), depth, payloadSize, data);
    const { columns, order } = copyRows.takeColumns();
    expect(copyRows.length).toBe(0);
    const [statement] = objectBulkStatements(columns, order, 64 * 1024 * 1024);
    for (const [gitId, type, , size, , depth, payloadSize, data] of objectRows(SHA1, 80))
      copyRows.push(ids.add(gitId), type, size, -1, depth, payloadSize, data);
    expect(
      encodeBulkExecuteRows(9, statement!)!
        .subarray(4)
        .equals(generic(rowsById(rows).rows)),
    ).toBe(true);
    expect(statement!.values()).toEqual(rowsById(rows).rows.flat());
  });
});
