import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { tellInsertedRowKeys } from './inserted-row-keys.js';
import { openDatabase, type MegaDatabase } from './open-database.js';

/** What `tellInsertedRowKeys` tells, as [row, key] pairs. */
function told(rows: number, changes: number, lastRowKey: number, stored: readonly (number | undefined)[]) {
  const heard: [number, number][] = [];
  tellInsertedRowKeys(
    rows,
    changes,
    lastRowKey,
    (row) => stored[row],
    (row, key) => heard.push([row, key]),
  );
  return heard;
}

describe('the keys of a multi-row insert', () => {
  it('are consecutive, ending at the last insert, when every row was inserted; none looked up', () => {
    expect(told(3, 3, 12, [/* never asked */])).toEqual([
      [0, 10],
      [1, 11],
      [2, 12],
    ]);
  });

  it('are none when every row was stored before, without a lookup', () => {
    expect(told(4, 0, 99, [])).toEqual([]);
  });

  it('are the largest stored keys when some rows were stored before, gaps between them included', () => {
    // Rows 1 and 3 were stored before (keys 4 and 7); the inserted ones got 20, 22 (21 used up by a
    // skipped row under AUTOINCREMENT) and 23.
    expect(told(5, 3, 23, [20, 4, 22, 7, 23])).toEqual([
      [0, 20],
      [2, 22],
      [4, 23],
    ]);
  });

  it('tell a row given twice once, at its first place, as a statement per row would', () => {
    // Rows 0 and 2 are one object (inserted once, key 31); row 1 was stored before.
    expect(told(4, 2, 32, [31, 5, 31, 32])).toEqual([
      [0, 31],
      [3, 32],
    ]);
    // Twice, stored before: not told at all.
    expect(told(3, 1, 40, [5, 40, 5])).toEqual([[1, 40]]);
  });

  it('refuse what SQLite cannot have done: a row not stored, keys not ending at the last insert', () => {
    expect(() => told(3, 2, 12, [11, undefined, 12])).toThrow(/not stored/);
    expect(() => told(3, 2, 12, [11, 3, 10])).toThrow(/do not end at key 12/);
    // Two rows inserted, one distinct key among them.
    expect(() => told(3, 2, 12, [12, 12, 12])).toThrow(/do not end/);
  });
});

describe.each([
  ['a rowid table', ''],
  ['an AUTOINCREMENT table', ' autoincrement'],
])('SQLite inserts of many rows a statement into %s', (_name, modifier) => {
  let database: MegaDatabase | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  /**
   * Inserts `values` (unique texts), `size` rows a statement, in one transaction; returns what the
   * runner told, by value, and every stored row's key, by value.
   */
  const insert = async (db: MegaDatabase, values: readonly string[], size: number) => {
    const statement = `insert into t (u) values ${Array.from({ length: size }, () => '(?)').join(', ')} on conflict do nothing`;
    const heard = new Map<string, number>();
    const heardTwice: string[] = [];
    await db.db.transaction().execute(async () => {
      for (let start = 0; start < values.length; start += size) {
        const rows = values.slice(start, start + size);
        db.runPreparedBatch!(statement, [rows], {
          rowsPerStatement: size,
          keyQuery: 'select rowid from t where u = ?',
          told: (index, key) => {
            if (heard.has(rows[index]!)) heardTwice.push(rows[index]!);
            heard.set(rows[index]!, key);
          },
        });
      }
    });
    const stored = await sql<{ id: number; u: string }>`select id, u from t`.execute(db.db);
    return { heard, heardTwice, stored: new Map(stored.rows.map((row) => [row.u, Number(row.id)])) };
  };

  const open = async () => {
    database = openDatabase('sqlite::memory:');
    await sql
      .raw(`create table t (id integer primary key${modifier}, u text not null unique)`)
      .execute(database.db);
    return database;
  };

  it('tells the key of every row it inserted and of no other, rows stored before and repeated among them', async () => {
    const db = await open();
    const values = Array.from({ length: 64 }, (_, n) => `v${String(n).padStart(3, '0')}`);
    // Stored before: a whole statement's rows (v007–v014, the given rows 8–15), and single rows spread over the others.
    const before = [...values.slice(7, 15), values[0]!, values[21]!, values[42]!, values[63]!];
    await insert(db, before, 1);
    // A repeat inside one statement (v005 twice), one across statements (v030 in the next one).
    const given = [
      ...values.slice(0, 6),
      values[5]!,
      ...values.slice(6, 32),
      values[30]!,
      ...values.slice(32),
    ];
    expect(given).toHaveLength(66);
    const { heard, heardTwice, stored } = await insert(db, given.slice(0, 64), 8);
    const rest = await insert(db, given.slice(64), 2);
    expect(heardTwice).toEqual([]);
    const inserted = values.filter(
      (value) => !before.includes(value) && value !== values[62] && value !== values[63],
    );
    expect([...heard.keys()].sort()).toEqual(inserted.sort());
    for (const [value, key] of heard) expect(key).toBe(stored.get(value));
    // The last two rows went in a statement of their own: v062 inserted, v063 stored before.
    expect([...rest.heard]).toEqual([[values[62]!, rest.stored.get(values[62]!)]]);
  });

  it('tells the keys of rows inserted after the last rows were deleted', async () => {
    const db = await open();
    await insert(db, ['a', 'b', 'c'], 3);
    await sql`delete from t where u = 'c'`.execute(db.db);
    const { heard, stored } = await insert(db, ['b', 'd', 'e', 'a'], 4);
    expect([...heard]).toEqual([
      ['d', stored.get('d')],
      ['e', stored.get('e')],
    ]);
    // A plain rowid table gives 3 again. AUTOINCREMENT does not, and the row skipped before `d`
    // used up 4: the keys of a statement that skipped rows are not consecutive there.
    expect([stored.get('d'), stored.get('e')]).toEqual(modifier ? [5, 6] : [3, 4]);
  });

  it('leaves nothing when the transaction fails after a statement', async () => {
    const db = await open();
    const failing = db.db.transaction().execute(async () => {
      db.runPreparedBatch!('insert into t (u) values (?), (?) on conflict do nothing', [['x', 'y']], {
        rowsPerStatement: 2,
        keyQuery: 'select rowid from t where u = ?',
        told: () => {},
      });
      throw new Error('failed after the insert');
    });
    await expect(failing).rejects.toThrow('failed after the insert');
    const { heard, stored } = await insert(db, ['y', 'z'], 2);
    expect(stored.size).toBe(2);
    expect([...heard.keys()]).toEqual(['y', 'z']);
  });
});
