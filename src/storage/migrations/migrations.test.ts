import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../tests/support/dialects.js';
import { insertRepositoryRow } from '../../../tests/support/repository-rows.js';
import { MIGRATIONS } from './index.js';
import { migrateDown, migrateDownAll, migrateToLatest, migrationStatus } from './migrator.js';

const SEED_TABLES = [
  'refs',
  'mega_directory',
  'dir_commit',
  'dir_tree',
  'commit',
  'raw_objects',
  'merge_request',
  'pull_request',
  'issue',
  'lfs_objects',
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

  it('0005 rebuilds repository_objects keeping its rows, and its down drops rows of deleted repositories', async () => {
    const { database } = getDb();
    const { db } = database;
    expect(await migrateDown(database)).toEqual(['0016-clone-walk-tips']);
    expect(await migrateDown(database)).toEqual(['0015-github']);
    expect(await migrateDown(database)).toEqual(['0014-ssh-keys']);
    expect(await migrateDown(database)).toEqual(['0013-search']);
    expect(await migrateDown(database)).toEqual(['0012-review']);
    expect(await migrateDown(database)).toEqual(['0011-view-hidden']);
    expect(await migrateDown(database)).toEqual(['0010-access']);
    expect(await migrateDown(database)).toEqual(['0009-lfs-blobs']);
    expect(await migrateDown(database)).toEqual(['0008-installation']);
    expect(await migrateDown(database)).toEqual(['0007-object-chunks']);
    expect(await migrateDown(database)).toEqual(['0006-clone-walks']);
    expect(await migrateDown(database)).toEqual(['0005-membership-keys']);
    const repoId = await insertRepositoryRow(db, '/membership-rebuild');
    const held = ['c', 'a', 'b'].map((c) => c.repeat(40));
    await db
      .insertInto('repository_objects')
      .values(held.map((gitId) => ({ repo_id: repoId, git_id: gitId })))
      .execute();
    const members = async () =>
      (
        await db.selectFrom('repository_objects').selectAll().orderBy('repo_id').orderBy('git_id').execute()
      ).map((row) => [Number(row.repo_id), row.git_id]);

    expect(await migrateToLatest(database)).toEqual([
      '0005-membership-keys',
      '0006-clone-walks',
      '0007-object-chunks',
      '0008-installation',
      '0009-lfs-blobs',
      '0010-access',
      '0011-view-hidden',
      '0012-review',
      '0013-search',
      '0014-ssh-keys',
      '0015-github',
      '0016-clone-walk-tips',
    ]);
    expect(await members()).toEqual(held.sort().map((gitId) => [repoId, gitId]));
    // No foreign key any more: a row of a repository that does not exist is accepted...
    await db
      .insertInto('repository_objects')
      .values({ repo_id: 987654, git_id: 'd'.repeat(40) })
      .execute();
    // ...and the key still refuses duplicates.
    await expect(
      db
        .insertInto('repository_objects')
        .values({ repo_id: repoId, git_id: 'a'.repeat(40) })
        .execute(),
    ).rejects.toThrow();

    // 0016 down to 0006 go first; then 0005's down.
    for (let step = 0; step < 12; step += 1) await migrateDown(database);
    expect(await members()).toEqual(held.map((gitId) => [repoId, gitId]));
    await migrateToLatest(database);
  });

  it('0015 removes the seed tables and columns nothing used, keeping the rows around them', async () => {
    const { database } = getDb();
    const db = database.db as unknown as Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const columnsOf = async (table: string) =>
      (await database.db.introspection.getTables()).find((t) => t.name === table)?.columns.map((c) => c.name);
    expect(await migrateDown(database)).toEqual(['0016-clone-walk-tips']);
    expect(await migrateDown(database)).toEqual(['0015-github']);
    const now = new Date().toISOString();
    await db
      .insertInto('commit')
      .values({
        git_id: 'e'.repeat(40),
        tree: 'f'.repeat(40),
        pid: '[]',
        repo_path: null,
        author: 'a',
        committer: 'c',
        content: 'm',
        author_time: 1,
        commit_time: 2,
        mr_id: null,
        status: 'stored',
        created_at: now,
        updated_at: now,
      })
      .execute();
    expect(await columnsOf('commit')).toContain('status');
    expect(await migrateToLatest(database)).toEqual(['0015-github', '0016-clone-walk-tips']);
    const tables = (await database.db.introspection.getTables()).map((table) => table.name);
    expect(tables).not.toContain('tree');
    expect(tables).not.toContain('lfs_locks');
    for (const gone of ['repo_path', 'mr_id', 'status'])
      expect(await columnsOf('commit')).not.toContain(gone);
    expect(await columnsOf('raw_objects')).not.toContain('url');
    expect(await columnsOf('issue')).toEqual(expect.arrayContaining(['user_name', 'body', 'html_url']));
    const kept = await db.selectFrom('commit').selectAll().where('git_id', '=', 'e'.repeat(40)).execute();
    expect(kept).toHaveLength(1);
    expect(Number(kept[0]?.commit_time)).toBe(2);
    await db.deleteFrom('commit').where('git_id', '=', 'e'.repeat(40)).execute();
  });

  it('compares ref names byte-exactly (case-sensitive on every database)', async () => {
    const { db } = getDb().database;
    const now = new Date().toISOString();
    const repoId = await insertRepositoryRow(db, '/case');
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
