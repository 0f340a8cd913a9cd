import type { MegaMigration } from './migration.js';
import { createTable, OBJECT_ID_TYPE, TIMESTAMP_TYPE } from './migration.js';

/**
 * GitHub issues and pull requests (issue 18), and the seed's schema-only leftovers.
 *
 * The seed's `issue` and `pull_request` (004 §2, "synced from GitHub") get the columns a reader
 * needs besides the seed's: the author (`issue.user_*`; the seed has only `sender_*`, who caused
 * the last event), `body`, `html_url`, and for pull requests the head/base commits and `draft`.
 * New tables:
 * - `github_links`: an `/import` repository ↔ owner/name on github.com or a GitHub Enterprise
 *   Server; the token is a sync credential (`credential_id`, sealed there), the webhook secret is
 *   sealed like it. Holds the incremental cursors (`since`) and the ETags of the polls.
 * - `github_deliveries`: one row per processed `X-GitHub-Delivery`, unique, so a replayed
 *   delivery changes nothing.
 * - `github_comments`, `github_labels`: comments and labels of issues and pull requests (both
 *   share GitHub's numbering, so they are keyed by repository and number).
 *
 * Seed tables and columns nothing used, removed so that no column stays schema-only:
 * - `tree` (0 rows everywhere): trees are content-addressed objects in `raw_objects`; browsing
 *   reads the tree object itself (one row, already there), and the Mega directory keeps its path
 *   context in `dir_tree`. A per-entry copy at ingest would duplicate every tree for no reader.
 * - `commit.repo_path`: commits are content-addressed and shared by every repository that holds
 *   them, so a single path cannot be right; membership is `repository_objects`.
 * - `commit.mr_id`, `commit.status`: a merge request knows its commits (`merge_request`
 *   source/target commits and `merge_request_change`); a commit belongs to many merge requests or
 *   none, and `status` only ever held `stored`.
 * - `raw_objects.url`: the reserved `remote` storage type was never built (large objects live in
 *   `object_chunks`, LFS contents in the LFS blob store), so the column was always null.
 * - `lfs_locks(id, data)`: locks live in `lfs_file_locks` (0003), with real columns and a unique
 *   key per path.
 * Dropping a column is one `ALTER TABLE … DROP COLUMN` per column on every database (SQLite ≥
 * 3.35 copies the table's rows once; none of these columns is indexed). `down` adds them back
 * (empty, `status` as `stored`) and recreates the two tables empty.
 */
export const githubMigration: MegaMigration = {
  async up(db, caps) {
    for (const column of ['repo_path', 'mr_id', 'status']) {
      await db.schema.alterTable('commit').dropColumn(column).execute();
    }
    await db.schema.alterTable('raw_objects').dropColumn('url').execute();
    await db.schema.dropTable('tree').execute();
    await db.schema.dropTable('lfs_locks').execute();

    await db.schema.alterTable('issue').addColumn('user_name', 'varchar(255)').execute();
    await db.schema.alterTable('issue').addColumn('user_id', 'bigint').execute();
    await db.schema.alterTable('issue').addColumn('body', caps.types.text).execute();
    await db.schema.alterTable('issue').addColumn('html_url', 'varchar(512)').execute();
    await db.schema.alterTable('pull_request').addColumn('body', caps.types.text).execute();
    await db.schema.alterTable('pull_request').addColumn('html_url', 'varchar(512)').execute();
    await db.schema.alterTable('pull_request').addColumn('head_sha', OBJECT_ID_TYPE).execute();
    await db.schema.alterTable('pull_request').addColumn('base_sha', OBJECT_ID_TYPE).execute();
    await db.schema.alterTable('pull_request').addColumn('draft', 'smallint').execute();

    await createTable(db, caps, 'github_links')
      .addColumn('repo_id', 'bigint', (c) =>
        c.notNull().unique().references('repositories.id').onDelete('cascade'),
      )
      .addColumn('repo_path', 'varchar(512)', (c) => c.notNull())
      .addColumn('api_url', 'varchar(512)', (c) => c.notNull())
      .addColumn('web_url', 'varchar(512)', (c) => c.notNull())
      .addColumn('owner', 'varchar(100)', (c) => c.notNull())
      .addColumn('name', 'varchar(100)', (c) => c.notNull())
      .addColumn('credential_id', 'bigint')
      .addColumn('webhook_secret_sealed', caps.types.text)
      .addColumn('source', 'varchar(16)', (c) => c.notNull())
      .addColumn('sync_repository_id', 'bigint')
      .addColumn('cursors', caps.types.text, (c) => c.notNull())
      .addColumn('last_synced_at', TIMESTAMP_TYPE)
      .addColumn('last_error', caps.types.text)
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('github_links_full_name')
      .on('github_links')
      .columns(['owner', 'name'])
      .execute();

    await createTable(db, caps, 'github_deliveries')
      .addColumn('delivery_id', 'varchar(100)', (c) => c.notNull().unique())
      .addColumn('event', 'varchar(64)', (c) => c.notNull())
      .addColumn('action', 'varchar(64)')
      .addColumn('repo_id', 'bigint')
      .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
      .addColumn('received_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();

    await createTable(db, caps, 'github_comments')
      .addColumn('repo_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
      .addColumn('number', 'bigint', (c) => c.notNull())
      .addColumn('comment_id', 'bigint', (c) => c.notNull())
      .addColumn('user_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'bigint', (c) => c.notNull())
      .addColumn('body', caps.types.text)
      .addColumn('html_url', 'varchar(512)')
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addUniqueConstraint('github_comments_unique', ['repo_id', 'comment_id'])
      .execute();
    await db.schema
      .createIndex('github_comments_number')
      .on('github_comments')
      .columns(['repo_id', 'number'])
      .execute();

    await createTable(db, caps, 'github_labels')
      .addColumn('repo_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
      .addColumn('number', 'bigint', (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('color', 'varchar(16)')
      .addUniqueConstraint('github_labels_unique', ['repo_id', 'number', 'name'])
      .execute();
  },

  async down(db, caps) {
    for (const table of ['github_labels', 'github_comments', 'github_deliveries', 'github_links']) {
      await db.schema.dropTable(table).execute();
    }
    for (const column of ['draft', 'base_sha', 'head_sha', 'html_url', 'body']) {
      await db.schema.alterTable('pull_request').dropColumn(column).execute();
    }
    for (const column of ['html_url', 'body', 'user_id', 'user_name']) {
      await db.schema.alterTable('issue').dropColumn(column).execute();
    }
    await createTable(db, caps, 'lfs_locks', { withId: false })
      .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
      .addColumn('data', caps.types.text)
      .execute();
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
    await db.schema.alterTable('raw_objects').addColumn('url', caps.types.text).execute();
    await db.schema.alterTable('commit').addColumn('repo_path', caps.types.text).execute();
    await db.schema.alterTable('commit').addColumn('mr_id', 'varchar(20)').execute();
    await db.schema
      .alterTable('commit')
      .addColumn('status', 'varchar(20)', (c) => c.notNull().defaultTo('stored'))
      .execute();
  },
};
