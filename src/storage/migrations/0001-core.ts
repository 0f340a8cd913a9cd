import type { MegaMigration } from './migration.js';
import { createTable, OBJECT_ID_TYPE, TIMESTAMP_TYPE } from './migration.js';

/**
 * The seed's twelve tables (004 §2) plus what the repository store needs. Adaptations, each for a
 * reason:
 * - `TEXT[]` (pid, sub_trees) exists only in PostgreSQL: JSON text on every database.
 * - TIMESTAMP columns are ISO-8601 UTC text: the three databases disagree on time zones and on
 *   how they return timestamps; ISO text sorts correctly everywhere.
 * - Columns that are looked up or unique are `varchar(n)` instead of TEXT (MySQL cannot index
 *   TEXT without a prefix length).
 * - BOOLEAN (`lfs_objects.exist`) is a 0/1 smallint: the drivers return booleans differently.
 * - `refs` is scoped by `repo_id` (→ `repositories`) instead of `repo_path`, unique per
 *   (repo_id, ref_name), so renaming a repository does not rewrite its refs and two
 *   repositories can have the same branch names.
 * - `raw_objects` keeps git_id/object_type/storage_type/data/path/url and adds `size`,
 *   `delta_base`, `delta_depth`, `payload_size` because `data` holds the pack-ready (deflated,
 *   possibly delta) payload that clones copy as is (SPEC §4).
 * - `commit` and `tree` are content-addressed like `raw_objects` (unique git_id, shared by every
 *   repository holding them); `repo_path` becomes optional and membership is
 *   `repository_objects`. `commit` adds `author_time`/`commit_time` for date-ordered walks
 *   (`deepen-since`). `tree.last_commit`/`name`/`full_path` describe a path context the Mega
 *   directory sets; plain ingest leaves them null.
 * - `merge_request` adds status, repo path, source/target commits and author (what review needs).
 * New tables: `repositories`, `repository_objects` (a repository serves only objects it holds,
 * even when another repository stores the same object), `users`, `access_tokens`.
 */
export const coreMigration: MegaMigration = {
  async up(db, caps) {
    await createTable(db, caps, 'repositories')
      .addColumn('path', 'varchar(512)', (c) => c.notNull().unique())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('head_ref', 'varchar(512)', (c) => c.notNull())
      .addColumn('object_format', 'varchar(8)', (c) => c.notNull())
      .addColumn('description', caps.types.text)
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();

    await createTable(db, caps, 'refs')
      .addColumn('repo_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
      .addColumn('ref_name', 'varchar(512)', (c) => c.notNull())
      .addColumn('ref_git_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addUniqueConstraint('refs_repo_ref_unique', ['repo_id', 'ref_name'])
      .execute();

    await createTable(db, caps, 'raw_objects')
      .addColumn('git_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('object_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('storage_type', 'varchar(20)', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('delta_base', OBJECT_ID_TYPE)
      .addColumn('delta_depth', 'integer', (c) => c.notNull())
      .addColumn('payload_size', 'bigint', (c) => c.notNull())
      .addColumn('data', caps.types.blob)
      .addColumn('path', caps.types.text)
      .addColumn('url', caps.types.text)
      .addUniqueConstraint('uniq_o_git_id', ['git_id'])
      .execute();

    await createTable(db, caps, 'repository_objects', { withId: false, keyOnly: true })
      .addColumn('repo_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
      .addColumn('git_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addPrimaryKeyConstraint('repository_objects_pk', ['repo_id', 'git_id'])
      .execute();

    await createTable(db, caps, 'commit')
      .addColumn('git_id', OBJECT_ID_TYPE, (c) => c.notNull().unique())
      .addColumn('tree', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('pid', caps.types.text, (c) => c.notNull())
      .addColumn('repo_path', caps.types.text)
      .addColumn('author', caps.types.text)
      .addColumn('committer', caps.types.text)
      .addColumn('content', caps.types.text)
      .addColumn('author_time', 'bigint', (c) => c.notNull())
      .addColumn('commit_time', 'bigint', (c) => c.notNull())
      .addColumn('mr_id', 'varchar(20)')
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('commit_tree').on('commit').column('tree').execute();

    await createTable(db, caps, 'tree')
      .addColumn('git_id', OBJECT_ID_TYPE, (c) => c.notNull().unique())
      .addColumn('last_commit', OBJECT_ID_TYPE)
      .addColumn('name', 'varchar(128)')
      .addColumn('sub_trees', caps.types.text)
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('repo_path', caps.types.text)
      .addColumn('full_path', caps.types.text)
      .addColumn('mr_id', 'varchar(20)')
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();

    await createTable(db, caps, 'mega_directory')
      .addColumn('full_path', 'varchar(700)', (c) => c.notNull().unique())
      .addColumn('tree_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();

    await createTable(db, caps, 'dir_commit')
      .addColumn('git_id', OBJECT_ID_TYPE, (c) => c.notNull().unique())
      .addColumn('tree', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('pid', caps.types.text, (c) => c.notNull())
      .addColumn('repo_path', caps.types.text, (c) => c.notNull())
      .addColumn('author', caps.types.text)
      .addColumn('committer', caps.types.text)
      .addColumn('content', caps.types.text)
      .execute();

    await createTable(db, caps, 'dir_tree')
      .addColumn('git_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('last_commit', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('name', 'varchar(128)')
      .addColumn('sub_trees', caps.types.text)
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('repo_path', caps.types.text, (c) => c.notNull())
      .addColumn('full_path', 'varchar(700)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('dir_tree_git_id').on('dir_tree').column('git_id').execute();
    await db.schema.createIndex('dir_tree_full_path').on('dir_tree').column('full_path').execute();

    await createTable(db, caps, 'merge_request')
      .addColumn('mr_id', 'bigint', (c) => c.notNull().unique())
      .addColumn('mr_msg', 'varchar(255)', (c) => c.notNull())
      .addColumn('commit_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('mr_date', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('repo_path', 'varchar(512)', (c) => c.notNull())
      .addColumn('source_commit', OBJECT_ID_TYPE)
      .addColumn('target_commit', OBJECT_ID_TYPE)
      .addColumn('author', 'varchar(255)')
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('merge_request_repo_status')
      .on('merge_request')
      .columns(['repo_path', 'status'])
      .execute();

    await createTable(db, caps, 'pull_request')
      .addColumn('number', 'bigint', (c) => c.notNull())
      .addColumn('title', 'varchar(255)', (c) => c.notNull())
      .addColumn('state', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('closed_at', TIMESTAMP_TYPE)
      .addColumn('merged_at', TIMESTAMP_TYPE)
      .addColumn('merge_commit_sha', 'varchar(200)')
      .addColumn('repo_path', caps.types.text, (c) => c.notNull())
      .addColumn('repo_id', 'bigint', (c) => c.notNull())
      .addColumn('sender_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('sender_id', 'bigint', (c) => c.notNull())
      .addColumn('user_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'bigint', (c) => c.notNull())
      .addColumn('commits_url', 'varchar(255)', (c) => c.notNull())
      .addColumn('patch_url', 'varchar(255)', (c) => c.notNull())
      .addColumn('head_label', 'varchar(255)', (c) => c.notNull())
      .addColumn('head_ref', 'varchar(255)', (c) => c.notNull())
      .addColumn('base_label', 'varchar(255)', (c) => c.notNull())
      .addColumn('base_ref', 'varchar(255)', (c) => c.notNull())
      .addUniqueConstraint('pull_request_repo_number', ['repo_id', 'number'])
      .execute();

    await createTable(db, caps, 'issue')
      .addColumn('number', 'bigint', (c) => c.notNull())
      .addColumn('title', 'varchar(255)', (c) => c.notNull())
      .addColumn('sender_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('sender_id', 'bigint', (c) => c.notNull())
      .addColumn('state', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('closed_at', TIMESTAMP_TYPE)
      .addColumn('repo_path', caps.types.text, (c) => c.notNull())
      .addColumn('repo_id', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('issue_repo_number', ['repo_id', 'number'])
      .execute();

    await createTable(db, caps, 'lfs_objects', { withId: false })
      .addColumn('oid', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('size', 'bigint')
      .addColumn('exist', 'smallint')
      .execute();

    await createTable(db, caps, 'lfs_locks', { withId: false })
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('data', caps.types.text)
      .execute();

    await createTable(db, caps, 'users')
      .addColumn('username', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('email', 'varchar(255)')
      .addColumn('is_admin', 'smallint', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();

    await createTable(db, caps, 'access_tokens')
      .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', 'varchar(100)', (c) => c.notNull())
      .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('last_used_at', TIMESTAMP_TYPE)
      .addColumn('expires_at', TIMESTAMP_TYPE)
      .execute();
    await db.schema.createIndex('access_tokens_user').on('access_tokens').column('user_id').execute();
  },

  async down(db) {
    for (const table of [
      'access_tokens',
      'users',
      'lfs_locks',
      'lfs_objects',
      'issue',
      'pull_request',
      'merge_request',
      'dir_tree',
      'dir_commit',
      'mega_directory',
      'tree',
      'commit',
      'repository_objects',
      'raw_objects',
      'refs',
      'repositories',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
