import { describe, expect, it } from 'vitest';
import { BulkInserter } from './bulk-insert.js';
import { encodePostgresArray } from './dialect/postgres-arrays.js';
import { RAW_OBJECT_COLUMNS } from './object-writer.js';
import type { RawObjectsTable } from './schema.js';
import { describeEachDialect } from '../../tests/support/dialects.js';

type Row = Omit<RawObjectsTable, 'id'>;

function row(n: number, overrides: Partial<Row> = {}): Row {
  return {
    git_id: n.toString(16).padStart(40, 'b'),
    object_type: 'blob',
    storage_type: 'database',
    size: n,
    delta_base: null,
    delta_depth: 0,
    payload_size: n,
    data: Buffer.from([n & 0xff, 0, 0xff]),
    path: null,
    ...overrides,
  };
}

describeEachDialect('bulk insert', (getDb) => {
  const insert = (rows: Row[], withTransaction = false) => {
    const { database } = getDb();
    const inserter = new BulkInserter(
      database.capabilities,
      'raw_objects',
      RAW_OBJECT_COLUMNS,
      (r) => (r[7] as Buffer | null)?.length ?? 0,
    );
    const columns = Object.keys(RAW_OBJECT_COLUMNS) as (keyof Row)[];
    const values = rows.map((r) => columns.map((column) => r[column]));
    return withTransaction
      ? database.db
          .transaction()
          .execute((trx) => inserter.insertIgnore(trx, values, database.runPreparedBatch))
      : inserter.insertIgnore(database.db, values);
  };
  const read = async (ids: string[]) =>
    getDb()
      .database.db.selectFrom('raw_objects')
      .selectAll()
      .where('git_id', 'in', ids)
      .orderBy('git_id')
      .execute();

  it('round-trips every column kind: nulls, empty and binary blobs, big integers, non-ASCII text', async () => {
    const rows = [
      row(1, { size: 2 ** 40 + 7, payload_size: 2 ** 53 - 1, data: Buffer.alloc(0) }),
      row(2, { delta_base: 'c'.repeat(40), delta_depth: 50, path: 'ä/日本/😀' }),
      row(3, { data: null, storage_type: 'file', path: 'ab/cdef' }),
      row(4, { data: Buffer.from(Array.from({ length: 256 }, (_, i) => i)), path: '' }),
    ];
    await insert(rows);
    const stored = await read(rows.map((r) => r.git_id));
    expect(stored).toHaveLength(4);
    for (const [index, expected] of rows.entries()) {
      const got = stored[index]!;
      expect(got.git_id).toBe(expected.git_id);
      expect(Number(got.size)).toBe(expected.size);
      expect(Number(got.payload_size)).toBe(expected.payload_size);
      expect(got.delta_base).toBe(expected.delta_base);
      expect(Number(got.delta_depth)).toBe(expected.delta_depth);
      expect(got.path).toBe(expected.path);
      expect(got.data === null ? null : Buffer.from(got.data)).toEqual(expected.data);
    }
  });

  it('skips rows whose key exists, in the same batch and across batches, inside a transaction too', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => row(1000 + i));
    await insert(rows.slice(0, 100));
    await insert([...rows, row(1000, { size: 1 })], true);
    const stored = await read(rows.map((r) => r.git_id));
    expect(stored).toHaveLength(300);
    expect(Number(stored[0]!.size)).toBe(1000);
  });

  it('inserts nothing for no rows', async () => {
    await insert([]);
  });

  it('reads an id list parameter back as rows (SHA-1 and SHA-256 lengths, none)', async () => {
    const { database } = getDb();
    const ids = ['a'.repeat(40), 'b'.repeat(64), '0123456789abcdef'.repeat(4)];
    const read = (list: string[]) =>
      database.db
        .selectFrom(database.capabilities.idList(list).as('listed'))
        .select('listed.id')
        .execute()
        .then((rows) => rows.map((r) => r.id).sort());
    expect(await read(ids)).toEqual([...ids].sort());
    expect(await read([])).toEqual([]);
  });
});

describe('PostgreSQL binary arrays', () => {
  it('lays out header, lengths and big-endian integers as array_recv reads them', () => {
    const encoded = encodePostgresArray('bigint', [1, null, -2]);
    expect(encoded.toString('hex')).toBe(
      [
        '00000001', // one dimension
        '00000001', // has nulls
        '00000014', // int8
        '00000003', // three elements
        '00000001', // lower bound
        '00000008',
        '0000000000000001',
        'ffffffff',
        '00000008',
        'fffffffffffffffe',
      ].join(''),
    );
    expect(encodePostgresArray('text', ['é']).subarray(20).toString('hex')).toBe('00000002c3a9');
    expect(encodePostgresArray('integer', [7]).readInt32BE(8)).toBe(23);
    expect(encodePostgresArray('blob', []).readInt32BE(12)).toBe(0);
  });

  it('refuses integers it cannot send exactly', () => {
    expect(() => encodePostgresArray('bigint', [2 ** 53])).toThrow(TypeError);
    expect(() => encodePostgresArray('integer', [1.5])).toThrow(TypeError);
    expect(() => encodePostgresArray('bigint', ['12x'])).toThrow(TypeError);
  });
});
