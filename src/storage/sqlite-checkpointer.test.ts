import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { openDatabase } from './open-database.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';

const fileSize = (path: string) => (existsSync(path) ? statSync(path).size : 0);

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SQLite checkpoints on their own thread', () => {
  it('copies a big commit into the database file after the commit returned, and closes cleanly', async () => {
    const dir = await makeTempDir('mega-checkpoint-');
    const path = join(dir.path, 'mega.db');
    const database = openDatabase(`sqlite:${path}`);
    try {
      await sql`create table t (v blob)`.execute(database.db);
      const before = fileSize(path);
      await database.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 6; i++)
          await sql`insert into t values (${Buffer.alloc(1 << 20, i)})`.execute(trx);
      });
      // Far below the connection's own fallback threshold (10,000 pages): only the thread copies it.
      expect(fileSize(`${path}-wal`)).toBeGreaterThan(6 << 20);
      await until(() => fileSize(path) > before + (6 << 20));
      // Once the checkpoint is complete, the next write restarts the log and cuts it back to the
      // size that starts a checkpoint.
      let writes = 0;
      await until(async () => {
        await database.db.transaction().execute((trx) => sql`insert into t values (x'00')`.execute(trx));
        writes++;
        return fileSize(`${path}-wal`) <= 4 << 20;
      });
      const rows = await sql<{ n: number }>`select count(*) as n from t`.execute(database.db);
      expect(rows.rows[0]?.n).toBe(6 + writes);
      await database.close();
      // The last connection to close removes the log: the thread's connection closed first.
      expect(existsSync(`${path}-wal`)).toBe(false);
    } finally {
      await database.close();
      await dir.remove();
    }
  });

  it('starts its thread when asked before any commit, and tells when a checkpoint is done', async () => {
    const dir = await makeTempDir('mega-checkpoint-');
    const path = join(dir.path, 'mega.db');
    const database = openDatabase(`sqlite:${path}`);
    try {
      const checkpoints = database.walCheckpoints!;
      // Nothing runs yet: idle at once.
      await checkpoints.idle();
      await checkpoints.ready();
      await checkpoints.ready();
      await sql`create table t (v blob)`.execute(database.db);
      const before = fileSize(path);
      await database.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 6; i++)
          await sql`insert into t values (${Buffer.alloc(1 << 20, i)})`.execute(trx);
      });
      await checkpoints.idle();
      // The whole log is in the database file once the checkpoint it started is done.
      expect(fileSize(path)).toBeGreaterThan(before + (6 << 20));
    } finally {
      await database.close();
      await dir.remove();
    }
  });

  it('is ready and idle at once once closed', async () => {
    const checkpointer = new SqliteCheckpointer('/nonexistent-dir/mega.db', () => undefined);
    await checkpointer.close();
    await checkpointer.ready();
    await checkpointer.idle();
    expect(checkpointer.threadStarted).toBe(false);
  });

  it('starts no thread while the log stays small', async () => {
    const dir = await makeTempDir('mega-checkpoint-');
    const path = join(dir.path, 'mega.db');
    const database = openDatabase(`sqlite:${path}`);
    const checkpointer = new SqliteCheckpointer(path, () => undefined);
    try {
      await sql`create table t (v integer)`.execute(database.db);
      for (let i = 0; i < 20; i++) {
        await database.db.transaction().execute((trx) => sql`insert into t values (${i})`.execute(trx));
        checkpointer.afterCommit();
      }
      expect(checkpointer.threadStarted).toBe(false);
    } finally {
      await checkpointer.close();
      await database.close();
      await dir.remove();
    }
  });

  it('reports a thread that fails (the caller then checkpoints on its own connection)', async () => {
    const failures: Error[] = [];
    // No database can be opened there; a negative threshold starts the thread at once.
    const checkpointer = new SqliteCheckpointer(
      '/nonexistent-dir/mega.db',
      (error) => failures.push(error),
      -1,
    );
    checkpointer.afterCommit();
    await until(() => failures.length > 0);
    expect(checkpointer.threadStarted).toBe(false);
    // A failed thread is neither waited for nor started again.
    await checkpointer.ready();
    await checkpointer.idle();
    checkpointer.afterCommit();
    expect(checkpointer.threadStarted).toBe(false);
    await checkpointer.close();
  });
});
