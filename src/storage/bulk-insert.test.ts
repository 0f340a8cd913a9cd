import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { BulkInserter, type BulkColumns } from './bulk-insert.js';
import type { Database } from './database.js';
import { encodePostgresArray } from './dialect/postgres-arrays.js';
import { insertIgnore } from './insert-ignore.js';
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

/** The writer's columns plus `path`, which it leaves NULL: every column kind, text included, round-trips. */
const TEST_COLUMNS: BulkColumns<'raw_objects'> = { ...RAW_OBJECT_COLUMNS, path: 'text' };
const COLUMNS = Object.keys(TEST_COLUMNS) as (keyof Row)[];
const values = (rows: Row[]) => rows.map((r) => COLUMNS.map((column) => r[column]));

describeEachDialect('bulk insert', (getDb) => {
  const inserter = () =>
    new BulkInserter(
      getDb().database.capabilities,
      'raw_objects',
      TEST_COLUMNS,
      (r) => (r[7] as Buffer | null)?.length ?? 0,
      // Every batch of a transaction by COPY on PostgreSQL, however small.
      1,
    );
  /** Inserts in the caller's transaction: a binary COPY where the dialect has one. */
  const insertIn = (trx: Kysely<Database>, rows: Row[], into = inserter()) =>
    into.insertIgnore(trx, values(rows), getDb().database.runPreparedBatch);
  const insert = (rows: Row[], withTransaction = false) => {
    const { database } = getDb();
    return withTransaction
      ? database.db.transaction().execute((trx) => insertIn(trx, rows))
      : inserter().insertIgnore(database.db, values(rows));
  };
  const read = async (ids: string[]) =>
    getDb()
      .database.db.selectFrom('raw_objects')
      .selectAll()
      .where('git_id', 'in', ids)
      .orderBy('git_id')
      .execute();

  it.each([
    ['outside a transaction', 0, false],
    ['in a transaction (a binary COPY on PostgreSQL)', 100, true],
  ])(
    'round-trips every column kind %s: nulls, empty and binary blobs, big integers, non-ASCII text',
    async (_name, first, withTransaction) => {
      const rows = [
        row(first + 1, { size: 2 ** 40 + 7, payload_size: 2 ** 53 - 1, data: Buffer.alloc(0) }),
        row(first + 2, { delta_base: 'c'.repeat(40), delta_depth: 2 ** 31 - 1, path: 'ä/日本/😀' }),
        row(first + 3, { data: null, storage_type: 'file', path: 'ab/cdef' }),
        row(first + 4, { data: Buffer.from(Array.from({ length: 256 }, (_, i) => i)), path: '' }),
        // Bigger than one CopyData message (1 MiB), every byte value.
        row(first + 5, {
          data: Buffer.alloc(3 * 1024 * 1024 + 7, Buffer.from(Array.from({ length: 256 }, (_, i) => i))),
        }),
      ];
      await insert(rows, withTransaction);
      const stored = await read(rows.map((r) => r.git_id));
      expect(stored).toHaveLength(5);
      for (const [index, expected] of rows.entries()) {
        const got = stored[index]!;
        expect(got.git_id).toBe(expected.git_id);
        expect(Number(got.size)).toBe(expected.size);
        expect(Number(got.payload_size)).toBe(expected.payload_size);
        expect(got.delta_base).toBe(expected.delta_base);
        expect(Number(got.delta_depth)).toBe(expected.delta_depth);
        expect(got.path).toBe(expected.path);
        // Buffer.equals: a deep comparison of the 3 MiB value would take seconds.
        if (expected.data === null) expect(got.data).toBeNull();
        else expect(Buffer.from(got.data!).equals(expected.data)).toBe(true);
      }
    },
  );

  it('skips rows whose key exists, in the same batch and across batches, inside a transaction too', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => row(1000 + i));
    await insert(rows.slice(0, 100));
    await insert([...rows, row(1000, { size: 1 })], true);
    const stored = await read(rows.map((r) => r.git_id));
    expect(stored).toHaveLength(300);
    expect(Number(stored[0]!.size)).toBe(1000);
  });

  it('inserts rows in their order, many a statement, skipping stored ones and repeats', async () => {
    // 128 + 128 + 32 + 8 + 4 + 1 rows on SQLite's prepared path: every statement size used.
    const rows = Array.from({ length: 300 }, (_, i) => row(7000 + i));
    await insert([rows[0]!, rows[150]!, rows[299]!]);
    const storedBefore = await read([rows[0]!.git_id, rows[150]!.git_id, rows[299]!.git_id]);
    await insert([...rows, row(7001, { size: 1 })], true);
    const stored = new Map((await read(rows.map((r) => r.git_id))).map((got) => [got.git_id, got]));
    expect(stored.size).toBe(300);
    expect(Number(stored.get(rows[1]!.git_id)!.size)).toBe(7001);
    // Rows stored before keep their keys; the others got theirs in the order they were given.
    for (const before of storedBefore) expect(stored.get(before.git_id)!.id).toBe(before.id);
    const keys = rows
      .filter((_, at) => at !== 0 && at !== 150 && at !== 299)
      .map((r) => Number(stored.get(r.git_id)!.id));
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
    expect(new Set(keys).size).toBe(297);
  });

  it('tells the key of each row it inserted, many a statement, none of rows stored before or repeated', async () => {
    const { database } = getDb();
    // Only SQLite's prepared path tells row keys.
    if (!database.runPreparedBatch) return;
    // 128 + 128 + 32 + 8 + 4 + 1 rows with the repeat: every statement size used. The first 128
    // were all stored before, the second 128 some of them.
    const rows = Array.from({ length: 300 }, (_, i) => row(9000 + i));
    const before = [...rows.slice(0, 128), rows[130]!, rows[200]!, rows[298]!];
    await insert(before);
    const given = [...rows.slice(0, 150), row(9149, { size: 1 }), ...rows.slice(150)];
    const heard = new Map<number, number>();
    await database.db.transaction().execute((trx) =>
      inserter().insertIgnore(trx, values(given), database.runPreparedBatch, (index, key) => {
        expect(heard.has(index)).toBe(false);
        heard.set(index, key);
      }),
    );
    const stored = new Map(
      (await read(rows.map((r) => r.git_id))).map((got) => [got.git_id, Number(got.id)]),
    );
    const expected = new Map<number, number>();
    for (const [index, rowGiven] of given.entries())
      if (index !== 150 && !before.includes(rowGiven)) expected.set(index, stored.get(rowGiven.git_id)!);
    expect(heard).toEqual(expected);
  });

  it('writes its multi-row statements exactly as Kysely compiles them', () => {
    const { db, capabilities } = getDb().database;
    const bulk = inserter();
    const placeholder = Object.fromEntries(COLUMNS.map((column) => [column, null])) as unknown as Row;
    for (const rows of [2, 1, 7, 2000, 3]) {
      const query = db.insertInto('raw_objects').values(Array.from({ length: rows }, () => placeholder));
      expect(bulk.valuesStatement(db, rows)).toBe(insertIgnore(query, capabilities).compile().sql);
    }
  });

  it('inserts nothing for no rows', async () => {
    await insert([]);
    await insert([], true);
  });

  it('after a batch with stored rows, stores the later batches of the same inserter too', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => row(3000 + i));
    await insert(rows.slice(0, 5));
    await getDb()
      .database.db.transaction()
      .execute(async (trx) => {
        const into = inserter();
        await insertIn(trx, rows.slice(0, 10), into);
        await insertIn(trx, rows.slice(10, 20), into);
        await insertIn(trx, rows.slice(20), into);
      });
    expect(await read(rows.map((r) => r.git_id))).toHaveLength(30);
  });

  it('sends the sorted batches it holds for one COPY merged in key order, every row once', async () => {
    // Two batches, each sorted by id, whose ids interleave.
    const first = [1, 3, 5, 7].map((n) => row(0x4000 + n));
    const second = [0, 2, 4, 6, 8].map((n) => row(0x4000 + n, { data: null }));
    const { database } = getDb();
    await database.db.transaction().execute(async (trx) => {
      const into = inserter();
      await into.add(trx, values(first), database.runPreparedBatch);
      await into.add(trx, values(second), database.runPreparedBatch);
      await into.flush(trx);
    });
    const ids = [...first, ...second].map((r) => r.git_id);
    const stored = await database.db
      .selectFrom('raw_objects')
      .select(['git_id', 'data'])
      .where('git_id', 'in', ids)
      .orderBy('id')
      .execute();
    // Where rows are held for one COPY (PostgreSQL), the server takes them, and numbers them, in
    // key order; elsewhere each batch is inserted as it comes.
    const expected = database.capabilities.rowCopy ? [...ids].sort() : ids;
    expect(stored.map((r) => r.git_id)).toEqual(expected);
    expect(stored.filter((r) => r.data === null)).toHaveLength(second.length);
  });

  it('holds batches without a statement, sends all it holds by one COPY once they fill the next, the rest by flush', async ({
    skip,
  }) => {
    const { database } = getDb();
    if (!database.capabilities.rowCopy) skip('no binary COPY: nothing is held');
    const rows = Array.from({ length: 5500 }, (_, i) => row(0x10000 + i));
    const copies: number[] = [];
    await database.db.transaction().execute(async (trx) => {
      // 90,000 expected rows: a first COPY of 2,000, then shares of 5,000.
      const into = new BulkInserter(database.capabilities, 'raw_objects', TEST_COLUMNS, undefined, 1, 90_000);
      const storedNow = async () => {
        const got = await trx
          .selectFrom('raw_objects')
          .select((eb) => eb.fn.countAll().as('n'))
          .where(
            'git_id',
            'in',
            rows.map((r) => r.git_id),
          )
          .executeTakeFirstOrThrow();
        copies.push(Number(got.n));
      };
      into.hold(values(rows.slice(0, 1500)));
      expect(into.copyReady).toBe(false);
      await into.copyHeld(trx);
      await storedNow();
      into.hold(values(rows.slice(1500, 2500)));
      expect(into.copyReady).toBe(true);
      await into.copyHeld(trx);
      await storedNow();
      into.hold(values(rows.slice(2500, 5500)));
      expect(into.copyReady).toBe(false);
      expect(into.holdsTwoCopies).toBe(false);
      await into.copyHeld(trx);
      await storedNow();
      await into.flush(trx);
      await storedNow();
    });
    expect(copies).toEqual([0, 2500, 2500, 5500]);
    const stored = await read(rows.map((r) => r.git_id));
    expect(stored.map((r) => r.git_id)).toEqual(rows.map((r) => r.git_id));
  });

  it('rolls back every batch of a transaction that fails after them', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => row(4000 + i));
    const failing = getDb()
      .database.db.transaction()
      .execute(async (trx) => {
        await insertIn(trx, rows.slice(0, 10));
        await insertIn(trx, rows.slice(10));
        throw new Error('the push failed');
      });
    await expect(failing).rejects.toThrow('the push failed');
    expect(await read(rows.map((r) => r.git_id))).toEqual([]);
  });

  it('stores the rows of two racing transactions once: the second waits for the first and skips its rows', async ({
    skip,
  }) => {
    const { database } = getDb();
    if (database.capabilities.singleConnection) skip('one connection: no two transactions at once');
    const rows = Array.from({ length: 40 }, (_, i) => row(5000 + i));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstWrote!: () => void;
    const wrote = new Promise<void>((resolve) => (firstWrote = resolve));
    const first = database.db.transaction().execute(async (trx) => {
      await insertIn(trx, rows.slice(0, 30));
      firstWrote();
      await held;
    });
    await wrote;
    let secondDone = false;
    const second = database.db
      .transaction()
      .execute((trx) => insertIn(trx, rows.slice(10)))
      .then(() => (secondDone = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The second waits on the first's uncommitted keys.
    expect(secondDone).toBe(false);
    release();
    await Promise.all([first, second]);
    const stored = await read(rows.map((r) => r.git_id));
    expect(stored.map((r) => r.git_id)).toEqual(rows.map((r) => r.git_id));
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
