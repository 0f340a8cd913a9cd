import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { isMegaError } from '../platform/errors.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { openDatabase } from './open-database.js';
import {
  classifyDatabaseFault,
  classifyFileFault,
  DATABASE_UNAVAILABLE,
  STORAGE_FULL,
  StorageFaultLog,
} from './storage-faults.js';

const errorWith = (fields: Record<string, unknown>, message = 'driver error') =>
  Object.assign(new Error(message), fields);

describe('classifyDatabaseFault', () => {
  it.each([
    ['ENOSPC (write(2))', errorWith({ code: 'ENOSPC' })],
    ['EDQUOT (quota)', errorWith({ code: 'EDQUOT' })],
    ['SQLite SQLITE_FULL', errorWith({ code: 'SQLITE_FULL' }, 'database or disk is full')],
    ['PostgreSQL 53100 disk_full', errorWith({ code: '53100' }, 'could not extend file: No space left')],
    ['MySQL 1114 ER_RECORD_FILE_FULL', errorWith({ code: 'ER_RECORD_FILE_FULL', errno: 1114 })],
    ['MySQL 1021 ER_DISK_FULL', errorWith({ code: 'ER_DISK_FULL', errno: 1021 })],
    [
      'MySQL 3 with OS errno 28',
      errorWith({ errno: 3 }, "Error writing file '/tmp/x' (errno: 28 - No space)"),
    ],
    ['MySQL 1030 with OS error 28', errorWith({ errno: 1030 }, 'Got error 28 from storage engine')],
  ])('%s is storage_full', (_name, error) => {
    const fault = classifyDatabaseFault(error);
    expect(fault?.kind).toBe('unavailable');
    expect(fault?.code).toBe(STORAGE_FULL);
    expect(fault?.message).toMatch(/out of storage space/);
    expect(fault?.cause).toBe(error);
  });

  it.each([
    ['ECONNREFUSED', errorWith({ code: 'ECONNREFUSED' })],
    ['ECONNRESET', errorWith({ code: 'ECONNRESET' })],
    ['ETIMEDOUT', errorWith({ code: 'ETIMEDOUT' })],
    ['refused on every address', new AggregateError([errorWith({ code: 'ECONNREFUSED' })], 'connect')],
    ['PostgreSQL 57P01 admin_shutdown', errorWith({ code: '57P01' })],
    ['PostgreSQL 57P03 cannot_connect_now', errorWith({ code: '57P03' })],
    ['PostgreSQL 08006 connection_failure', errorWith({ code: '08006' })],
    ['PostgreSQL 08P01 protocol_violation', errorWith({ code: '08P01' })],
    ['PostgreSQL 53300 too_many_connections', errorWith({ code: '53300' })],
    ['node-postgres closed socket', new Error('Connection terminated unexpectedly')],
    ['node-postgres connect timeout', new Error('timeout exceeded when trying to connect')],
    ['mysql2 PROTOCOL_CONNECTION_LOST', errorWith({ code: 'PROTOCOL_CONNECTION_LOST' })],
    ['MySQL 1040 ER_CON_COUNT_ERROR', errorWith({ code: 'ER_CON_COUNT_ERROR', errno: 1040 })],
    ['MySQL 1053 ER_SERVER_SHUTDOWN', errorWith({ code: 'ER_SERVER_SHUTDOWN', errno: 1053 })],
  ])('%s is database_unavailable', (_name, error) => {
    const fault = classifyDatabaseFault(error);
    expect(fault?.kind).toBe('unavailable');
    expect(fault?.code).toBe(DATABASE_UNAVAILABLE);
    expect(fault?.message).toMatch(/database is unavailable/);
  });

  it.each([
    ['a unique violation (PostgreSQL 23505)', errorWith({ code: '23505' })],
    ['a unique violation (SQLite)', errorWith({ code: 'SQLITE_CONSTRAINT_UNIQUE' })],
    ['a write conflict SQLite retries (SQLITE_BUSY)', errorWith({ code: 'SQLITE_BUSY' })],
    ['a deadlock (PostgreSQL 40P01)', errorWith({ code: '40P01' })],
    ['MySQL 3 for another OS error', errorWith({ errno: 3 }, "Error writing file '/tmp/x' (errno: 5)")],
    ['a plain error', new Error('boom')],
    ['a string', 'boom'],
    ['null', null],
  ])('%s is left alone', (_name, error) => {
    expect(classifyDatabaseFault(error)).toBeUndefined();
  });

  it('returns MegaErrors as they are', () => {
    const fault = classifyDatabaseFault(errorWith({ code: 'ENOSPC' }));
    expect(classifyDatabaseFault(fault)).toBe(fault);
  });
});

describe('classifyFileFault', () => {
  it('types a full disk but not socket errors, which belong to the client there', () => {
    expect(classifyFileFault(errorWith({ code: 'ENOSPC' }))?.code).toBe(STORAGE_FULL);
    expect(classifyFileFault(errorWith({ code: 'ECONNRESET' }))).toBeUndefined();
  });
});

describe('StorageFaultLog', () => {
  it('remembers the last full storage for a while, nothing else', () => {
    const log = new StorageFaultLog();
    log.record(classifyDatabaseFault(errorWith({ code: 'ECONNREFUSED' })));
    expect(log.recentFull()).toBeUndefined();
    log.record(classifyDatabaseFault(errorWith({ code: 'ENOSPC' })));
    expect(log.recentFull()?.message).toMatch(/out of storage space/);
    expect(log.recentFull(-1)).toBeUndefined();
  });
});

describe('unreachable databases, through the real drivers', () => {
  it.each([
    ['postgres', 'postgres://postgres@127.0.0.1:1/nothing'],
    ['mysql', 'mysql://root@127.0.0.1:1/nothing'],
  ])('%s on a closed port answers database_unavailable', async (_name, url) => {
    const database = openDatabase(url);
    try {
      const failure = await sql`select 1`.execute(database.db).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isMegaError(failure, 'unavailable')).toBe(true);
      expect((failure as { code: string }).code).toBe(DATABASE_UNAVAILABLE);
      expect((failure as Error).message).toMatch(/ECONNREFUSED/);
    } finally {
      await database.close();
    }
  });
});

describeEachDialect('database faults', (getDb, dialect) => {
  it('stores NUL in text as U+FFFD on every database, and binary values untouched', async () => {
    const { db } = getDb().database;
    await sql`create table nul_probe (t varchar(64) not null, b ${sql.raw(dialect === 'postgres' ? 'bytea' : 'blob')})`.execute(
      db,
    );
    const bytes = Buffer.from([0, 1, 0]);
    await sql`insert into nul_probe (t, b) values (${'a\u0000b'}, ${bytes})`.execute(db);
    const rows = await sql<{ t: string; b: Buffer }>`select t, b from nul_probe`.execute(db);
    expect(rows.rows[0]?.t).toBe('a\uFFFDb');
    expect(Buffer.from(rows.rows[0]!.b)).toEqual(bytes);
    const found = await sql<{ t: string }>`select t from nul_probe where t = ${'a\u0000b'}`.execute(db);
    expect(found.rows).toHaveLength(1);
  });

  // On PostgreSQL only binary COPYs stream (postgres-copy-cursor.test.ts); a select is refused.
  it.runIf(dialect !== 'postgres')('streams rows through the wrapper', async () => {
    const { db } = getDb().database;
    await sql`create table stream_probe (n integer not null)`.execute(db);
    await sql`insert into stream_probe (n) values (1), (2), (3)`.execute(db);
    const all: number[] = [];
    for await (const row of db
      .selectFrom('stream_probe' as never)
      .select('n' as never)
      .stream(1)) {
      all.push((row as { n: number }).n);
    }
    expect(all.sort()).toEqual([1, 2, 3]);
  });

  it.runIf(dialect === 'postgres')('a terminated connection is database_unavailable (57P01)', async () => {
    const { db } = getDb().database;
    const failure = await db
      .connection()
      .execute((connection) => sql`select pg_terminate_backend(pg_backend_pid())`.execute(connection))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isMegaError(failure, 'unavailable')).toBe(true);
    expect((failure as { code: string }).code).toBe(DATABASE_UNAVAILABLE);
    // The pool drops the dead connection once its socket closes; until then a query may meet it
    // and is told the same. After that, queries work again.
    for (let attempt = 1; ; attempt++) {
      const answer = await sql<{ one: number }>`select 1 as one`.execute(db).then(
        (result) => result.rows[0]?.one,
        (error: unknown) => error,
      );
      if (answer === 1) break;
      expect((answer as { code?: string }).code).toBe(DATABASE_UNAVAILABLE);
      expect(attempt).toBeLessThan(5);
    }
  });
});
