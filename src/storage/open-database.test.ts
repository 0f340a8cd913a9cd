import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { parseDatabaseUrl, redactDatabaseUrl } from './dialect/database-url.js';
import { migrateToLatest } from './migrations/migrator.js';
import { openDatabase, type MegaDatabase } from './open-database.js';
import { describeEachDialect } from '../../tests/support/dialects.js';

describe('database URLs', () => {
  it('parses the three schemes', () => {
    expect(parseDatabaseUrl('sqlite:/var/x/mega.db')).toEqual({ kind: 'sqlite', path: '/var/x/mega.db' });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl('postgres://u:p@h:5432/mega')).toMatchObject({
      kind: 'postgres',
      database: 'mega',
    });
    expect(parseDatabaseUrl('postgresql://h/mega')).toMatchObject({ kind: 'postgres' });
    expect(parseDatabaseUrl('mariadb://root@h:3306/mega')).toMatchObject({
      kind: 'mysql',
      url: 'mysql://root@h:3306/mega',
    });
  });

  it('refuses unknown schemes and empty paths without echoing credentials', () => {
    for (const url of ['sqlite:', 'redis://h', 'not a url', 'mssql://sa:secret@h/db']) {
      let error: unknown;
      try {
        parseDatabaseUrl(url);
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({ code: 'database_url_invalid' });
      expect(JSON.stringify(error) + String(error)).not.toContain('secret');
    }
  });

  it('redacts passwords for logs', () => {
    expect(redactDatabaseUrl('postgres://u:hunter2@h/db')).toBe('postgres://u:***@h/db');
    expect(redactDatabaseUrl('sqlite:/x.db')).toBe('sqlite:/x.db');
  });
});

describe('SQLite file', () => {
  it('reads through prepared statements, but never into a transaction the caller is not in', async () => {
    const dir = await makeTempDir('mega-prepared-');
    const database = openDatabase(`sqlite:${join(dir.path, 'mega.db')}`);
    try {
      await sql`create table t (v integer)`.execute(database.db);
      await sql`insert into t values (1)`.execute(database.db);
      const run = database.runPreparedQuery;
      if (!run) throw new Error('SQLite has prepared reads');
      expect(run('select v from t order by v', [], false)).toEqual([[1]]);
      await database.db.transaction().execute(async (trx) => {
        await sql`insert into t values (2)`.execute(trx);
        // Another request's read would see the uncommitted row: it is refused (Kysely waits instead).
        expect(run('select v from t order by v', [], false)).toBeUndefined();
        // The transaction's own reads see its rows.
        expect(run('select v from t order by v', [], true)).toEqual([[1], [2]]);
      });
      expect(run('select v from t where v > ? order by v', [0], false)).toEqual([[1], [2]]);
    } finally {
      await database.close();
      await dir.remove();
    }
  });

  it('lets the event loop turn during a long chain of statements (a response ends meanwhile)', async () => {
    const database = openDatabase('sqlite::memory:');
    try {
      // Every statement resolves at once: without turns, this loop would run all its rounds
      // before the immediate (what ends a response, runs a timer) ever ran.
      let turned = false;
      setImmediate(() => (turned = true));
      let rounds = 0;
      while (!turned && rounds < 1_000_000) {
        await sql`select 1`.execute(database.db);
        rounds++;
      }
      expect(turned).toBe(true);
      expect(rounds).toBeLessThan(1_000_000);
    } finally {
      await database.close();
    }
  });

  it('takes the write lock when a transaction begins, so another process cannot commit under its snapshot', async () => {
    const dir = await makeTempDir('mega-immediate-');
    const url = `sqlite:${join(dir.path, 'mega.db')}`;
    const ours = openDatabase(url);
    // Stands for another process: a second connection to the same file that gives up quickly.
    const theirs = openDatabase(url, { busyTimeoutMs: 50 });
    try {
      await sql`create table t (v integer)`.execute(ours.db);
      await ours.db.transaction().execute(async (trx) => {
        const before = await sql<{ n: number }>`select count(*) as n from t`.execute(trx);
        // A deferred transaction would let this commit, then fail its own write at once with
        // SQLITE_BUSY_SNAPSHOT. Begun immediate, the other writer waits (here: past its timeout).
        await expect(sql`insert into t values (1)`.execute(theirs.db)).rejects.toThrow();
        await sql`insert into t values (${Number(before.rows[0]?.n) + 2})`.execute(trx);
      });
      await sql`insert into t values (3)`.execute(theirs.db);
      const rows = await sql<{ v: number }>`select v from t order by v`.execute(ours.db);
      expect(rows.rows.map((row) => row.v)).toEqual([2, 3]);
    } finally {
      await theirs.close();
      await ours.close();
      await dir.remove();
    }
  });

  it('waits for the write lock without blocking the thread, so a transaction holding it can finish', async () => {
    const dir = await makeTempDir('mega-lock-wait-');
    const url = `sqlite:${join(dir.path, 'mega.db')}`;
    const first = openDatabase(url);
    const second = openDatabase(url);
    try {
      await sql`create table t (v integer)`.execute(first.db);
      const order: string[] = [];
      let entered!: () => void;
      const firstHoldsLock = new Promise<void>((resolve) => (entered = resolve));
      const slow = first.db.transaction().execute(async (trx) => {
        entered();
        await new Promise((resolve) => setTimeout(resolve, 100));
        await sql`insert into t values (1)`.execute(trx);
        order.push('first');
      });
      await firstHoldsLock;
      const waiting = second.db.transaction().execute(async (trx) => {
        const seen = await sql<{ n: number }>`select count(*) as n from t`.execute(trx);
        order.push(`second saw ${Number(seen.rows[0]?.n)}`);
        await sql`insert into t values (2)`.execute(trx);
      });
      await Promise.all([slow, waiting]);
      expect(order).toEqual(['first', 'second saw 1']);
    } finally {
      await second.close();
      await first.close();
      await dir.remove();
    }
  });

  it('creates the parent directory and runs in WAL mode', async () => {
    const dir = await makeTempDir('mega-open-');
    const path = join(dir.path, 'nested', 'deeper', 'mega.db');
    const database = openDatabase(`sqlite:${path}`);
    try {
      await migrateToLatest(database);
      expect(existsSync(path)).toBe(true);
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(database.db);
      expect(mode.rows[0]?.journal_mode).toBe('wal');
    } finally {
      await database.close();
      await database.close();
      await dir.remove();
    }
  });
});

describe('SQLite page size', () => {
  const pragma = async (database: MegaDatabase, name: 'page_size' | 'wal_autocheckpoint') =>
    Object.values((await sql.raw<Record<string, number>>(`pragma ${name}`).execute(database.db)).rows[0]!)[0];

  it('makes a new database with pages of 16 KiB, its automatic checkpoint at the same bytes of log', async () => {
    const dir = await makeTempDir('mega-open-');
    const database = openDatabase(`sqlite:${join(dir.path, 'mega.db')}`);
    try {
      await migrateToLatest(database);
      expect(await pragma(database, 'page_size')).toBe(16 * 1024);
      expect(await pragma(database, 'wal_autocheckpoint')).toBe(2_500);
    } finally {
      await database.close();
      await dir.remove();
    }
  });

  it('leaves a database made with pages of 4 KiB as it is', async () => {
    const dir = await makeTempDir('mega-open-');
    const path = join(dir.path, 'mega.db');
    const older = new BetterSqlite3(path);
    older.pragma('page_size = 4096');
    older.pragma('journal_mode = WAL');
    older.exec('create table kept (id integer primary key)');
    older.close();
    const database = openDatabase(`sqlite:${path}`);
    try {
      await migrateToLatest(database);
      expect(await pragma(database, 'page_size')).toBe(4096);
      expect(await pragma(database, 'wal_autocheckpoint')).toBe(10_000);
    } finally {
      await database.close();
      await dir.remove();
    }
  });
});

describeEachDialect('capabilities', (getDb) => {
  it('match what the database does: unique violations are recognised, sizes are measured', async () => {
    const { db, capabilities } = getDb().database;
    const now = new Date().toISOString();
    const row = { username: 'same', email: null, is_admin: 0, created_at: now };
    await db.insertInto('users').values(row).execute();
    const error = await db
      .insertInto('users')
      .values(row)
      .execute()
      .catch((e: unknown) => e);
    expect(capabilities.isUniqueViolation(error)).toBe(true);
    expect(capabilities.isRetryableConflict(error)).toBe(false);
    const size = await capabilities.databaseSizeQuery.execute(db);
    expect(Number(size.rows[0]?.bytes)).toBeGreaterThan(0);
  });

  it('round-trips binary data and large text byte for byte', async () => {
    const { db } = getDb().database;
    const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await db
      .insertInto('raw_objects')
      .values({
        git_id: 'b'.repeat(40),
        object_type: 'blob',
        storage_type: 'database',
        size: 256,
        delta_base: null,
        delta_depth: 0,
        payload_size: 256,
        data,
        path: null,
      })
      .execute();
    const back = await db
      .selectFrom('raw_objects')
      .select('data')
      .where('git_id', '=', 'b'.repeat(40))
      .executeTakeFirstOrThrow();
    expect(Buffer.from(back.data!).equals(data)).toBe(true);
  });
});
