import { createTable, OBJECT_ID_TYPE, TIMESTAMP_TYPE, type MegaMigration } from './migration.js';

/**
 * Review of merge requests (issue 22, `src/review`):
 * - `merge_request` gains a description, an optional target branch (`-o mr.target=…`; null = each
 *   repository's default branch) and the mergeability computed when the request is opened or
 *   updated and when a target moves (`mergeable`: `unknown`, `clean`, `conflict`; the detail is
 *   JSON with the conflicting files and the target heads it was computed against);
 * - `mr_comments`: discussions on the request and on diff lines (repository, file, side, line);
 *   a reply names its thread's first comment, which carries the resolved flag;
 * - `mr_approvals`: one approval per user and request, with the pushed commit it approved;
 * - `review_rules`: per path of the Mega directory, the approvals and check contexts a merge
 *   needs (null = inherit from the nearest ancestor that says);
 * - `commit_statuses`: the latest state per (repository, commit, context) that CI systems post;
 * - `webhooks` and `webhook_deliveries`: subscriptions per path and the durable delivery queue
 *   (every server delivers what is due, with retries and backoff) that is also the delivery log.
 * Key lengths stay under MariaDB's 3072-byte index limit with utf8mb4 (4 bytes a character).
 */
export const reviewMigration: MegaMigration = {
  async up(db, caps) {
    for (const [name, type] of [
      ['description', caps.types.text],
      ['target_branch', 'varchar(255)'],
      ['mergeable', 'varchar(16)'],
      ['mergeable_detail', caps.types.text],
      ['mergeable_at', TIMESTAMP_TYPE],
    ] as const) {
      await db.schema.alterTable('merge_request').addColumn(name, type).execute();
    }

    await createTable(db, caps, 'mr_comments')
      .addColumn('mr_id', 'bigint', (c) => c.notNull())
      .addColumn('thread_id', 'bigint')
      .addColumn('repo_path', 'varchar(512)')
      .addColumn('file_path', 'varchar(1024)')
      .addColumn('side', 'varchar(8)')
      .addColumn('line', 'integer')
      .addColumn('commit_id', OBJECT_ID_TYPE)
      .addColumn('body', caps.types.text, (c) => c.notNull())
      .addColumn('author', 'varchar(255)', (c) => c.notNull())
      .addColumn('author_id', 'bigint')
      .addColumn('resolved', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('resolved_by', 'varchar(255)')
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('mr_comments_mr').on('mr_comments').column('mr_id').execute();

    await createTable(db, caps, 'mr_approvals')
      .addColumn('mr_id', 'bigint', (c) => c.notNull())
      .addColumn('user_id', 'bigint', (c) => c.notNull())
      .addColumn('username', 'varchar(255)', (c) => c.notNull())
      .addColumn('commit_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addUniqueConstraint('mr_approvals_unique', ['mr_id', 'user_id'])
      .execute();

    await createTable(db, caps, 'review_rules', { withId: false })
      .addColumn('path', 'varchar(512)', (c) => c.notNull().primaryKey())
      .addColumn('required_approvals', 'integer')
      .addColumn('required_checks', caps.types.text)
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();

    await createTable(db, caps, 'commit_statuses')
      .addColumn('repo_path', 'varchar(512)', (c) => c.notNull())
      .addColumn('commit_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('context', 'varchar(128)', (c) => c.notNull())
      .addColumn('state', 'varchar(16)', (c) => c.notNull())
      .addColumn('target_url', 'varchar(2048)')
      .addColumn('description', 'varchar(1024)')
      .addColumn('creator', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addUniqueConstraint('commit_statuses_unique', ['repo_path', 'commit_id', 'context'])
      .execute();

    await createTable(db, caps, 'webhooks')
      .addColumn('path', 'varchar(512)', (c) => c.notNull())
      .addColumn('url', 'varchar(2048)', (c) => c.notNull())
      .addColumn('secret', caps.types.text, (c) => c.notNull())
      .addColumn('events', 'varchar(255)', (c) => c.notNull())
      .addColumn('active', 'smallint', (c) => c.notNull().defaultTo(1))
      .addColumn('created_by', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('webhooks_path').on('webhooks').column('path').execute();

    await createTable(db, caps, 'webhook_deliveries')
      .addColumn('webhook_id', 'bigint', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
      .addColumn('delivery_id', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('event', 'varchar(64)', (c) => c.notNull())
      .addColumn('payload', caps.types.text, (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', TIMESTAMP_TYPE)
      .addColumn('claimed_until', TIMESTAMP_TYPE)
      .addColumn('response_status', 'integer')
      .addColumn('response_body', caps.types.text)
      .addColumn('error', caps.types.text)
      .addColumn('duration_ms', 'integer')
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addColumn('finished_at', TIMESTAMP_TYPE)
      .execute();
    await db.schema
      .createIndex('webhook_deliveries_due')
      .on('webhook_deliveries')
      .columns(['status', 'next_attempt_at'])
      .execute();
    await db.schema
      .createIndex('webhook_deliveries_hook')
      .on('webhook_deliveries')
      .column('webhook_id')
      .execute();
  },

  async down(db) {
    for (const table of [
      'webhook_deliveries',
      'webhooks',
      'commit_statuses',
      'review_rules',
      'mr_approvals',
      'mr_comments',
    ]) {
      await db.schema.dropTable(table).execute();
    }
    for (const name of ['mergeable_at', 'mergeable_detail', 'mergeable', 'target_branch', 'description']) {
      await db.schema.alterTable('merge_request').dropColumn(name).execute();
    }
  },
};
