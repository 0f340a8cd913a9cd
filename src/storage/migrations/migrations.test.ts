import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeEachDialect } from '../testing/dialects.js';
import { MIGRATIONS } from './index.js';
import { migrateDownAll, migrateToLatest, migrationStatus } from './migrator.js';

const SEED_TABLES = [
  'refs',
  'mega_directory',
  'dir_commit',
  'dir_tree',
  'commit',
  'tree',
  'raw_objects',
  'merge_request',
  'pull_request',
  'issue',
  'lfs_objects',
  'lfs_locks',
];

describe('migration list', () => {
  it('is sorted and uniquely named, so Kysely runs it in the listed order', () => {
    const names = MIGRATIONS.map((entry) => entry.name);
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(names.length);
  });
});

describeEachDialect('migrations', (getDb) => {
  it('creates the seed tables and the repository tables', async () => {
    const tables = (await getDb().database.db.introspection.getTables()).map((table) => table.name);
    for (const table of [...SEED_TABLES, 'repositories', 'repository_objects', 'users', 'access_tokens']) {
      expect(tables).toContain(table);
    }
    expect((await migrationStatus(getDb().database)).every((step) => step.applied)).toBe(true);
  });

  it('is idempotent, and goes all the way down and up again', async () => {
    const { database } = getDb();
    expect(await migrateToLatest(database)).toEqual([]);
    await migrateDownAll(database);
    const remaining = (await database.db.introspection.getTables()).map((table) => table.name);
    for (const table of SEED_TABLES) expect(remaining).not.toContain(table);
    expect(await migrateToLatest(database)).toEqual(MIGRATIONS.map((entry) => entry.name));
  });

  it('compares ref names byte-exactly (case-sensitive on every database)', async () => {
    const { db } = getDb().database;
    const now = new Date().toISOString();
    const repo = await db
      .insertInto('repositories')
      .values({
        path: '/case',
        kind: 'hosted',
        head_ref: 'refs/heads/main',
        object_format: 'sha1',
        description: null,
        created_at: now,
        updated_at: now,
      })
      .executeTakeFirstOrThrow();
    const repoId = Number(
      repo.insertId ??
        (
          await db
            .selectFrom('repositories')
            .select('id')
            .where('path', '=', '/case')
            .executeTakeFirstOrThrow()
        ).id,
    );
    for (const name of ['refs/heads/main', 'refs/heads/Main']) {
      await db
        .insertInto('refs')
        .values({
          repo_id: repoId,
          ref_name: name,
          ref_git_id: 'a'.repeat(40),
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    const found = await db
      .selectFrom('refs')
      .select('ref_name')
      .where('ref_name', '=', 'refs/heads/main')
      .execute();
    expect(found).toHaveLength(1);
    expect((await sql<{ n: number }>`select count(*) as n from refs`.execute(db)).rows[0]?.n).toBeDefined();
  });
});
