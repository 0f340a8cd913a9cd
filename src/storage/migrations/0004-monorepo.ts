import { createTable, dropIndex, OBJECT_ID_TYPE, TIMESTAMP_TYPE, type MegaMigration } from './migration.js';

/**
 * Tables of the Mega directory views and merge requests (SPEC §6), next to the seed's
 * `mega_directory`, `dir_tree`, `dir_commit` and `merge_request` created by 0001.
 *
 * - `mega_view_commit`: the chain of synthetic commits of each directory view path. Keyed by
 *   `view_key` (sha256 hex of the path: MySQL cannot put a long varchar path in a composite unique
 *   key). `parent_id` is '' for the first commit of a path; the unique (view_key, parent_id) key
 *   keeps each chain linear when two servers race. `links` (JSON) maps places in the view's tree
 *   to repository commits, which is what lets a push be mapped back onto repositories.
 * - `merge_request_change`: one row per repository a merge request touches (the seed's
 *   `merge_request` has one `commit_id`; a cross-repository change needs one per repository).
 * - `merge_request_event`: who opened, updated, merged, closed or reopened a merge request.
 * - `repository_objects` gets an index on `git_id`: a directory view reads objects of many
 *   repositories and looks up which repository holds an id (its primary key starts with repo_id).
 * - `merge_request` gains `ref_name` and `author_id`, so a second push of the same branch by the
 *   same user updates the open merge request instead of opening another one.
 */
export const monorepoMigration: MegaMigration = {
  async up(db, caps) {
    await createTable(db, caps, 'mega_view_commit')
      .addColumn('view_key', 'varchar(64)', (c) => c.notNull())
      .addColumn('view_path', caps.types.text, (c) => c.notNull())
      .addColumn('commit_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('tree_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('parent_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('directory_commit', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('links', caps.types.text, (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addUniqueConstraint('mega_view_commit_parent_unique', ['view_key', 'parent_id'])
      .addUniqueConstraint('mega_view_commit_commit_unique', ['view_key', 'commit_id'])
      .execute();

    await createTable(db, caps, 'merge_request_change')
      .addColumn('mr_id', 'bigint', (c) => c.notNull())
      .addColumn('repo_path', 'varchar(512)', (c) => c.notNull())
      .addColumn('base_commit', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('head_commit', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('merged_commit', OBJECT_ID_TYPE)
      .addUniqueConstraint('merge_request_change_unique', ['mr_id', 'repo_path'])
      .execute();

    await createTable(db, caps, 'merge_request_event')
      .addColumn('mr_id', 'bigint', (c) => c.notNull())
      .addColumn('action', 'varchar(32)', (c) => c.notNull())
      .addColumn('actor', 'varchar(255)', (c) => c.notNull())
      .addColumn('detail', caps.types.text)
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('merge_request_event_mr').on('merge_request_event').column('mr_id').execute();

    await db.schema
      .createIndex('repository_objects_git_id')
      .on('repository_objects')
      .column('git_id')
      .execute();
    await db.schema.alterTable('merge_request').addColumn('ref_name', 'varchar(255)').execute();
    await db.schema.alterTable('merge_request').addColumn('author_id', 'bigint').execute();
  },

  async down(db, caps) {
    await dropIndex(db, caps, 'repository_objects_git_id', 'repository_objects');
    await db.schema.alterTable('merge_request').dropColumn('author_id').execute();
    await db.schema.alterTable('merge_request').dropColumn('ref_name').execute();
    await db.schema.dropTable('merge_request_event').execute();
    await db.schema.dropTable('merge_request_change').execute();
    await db.schema.dropTable('mega_view_commit').execute();
  },
};
