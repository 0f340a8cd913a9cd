import { createTable, TIMESTAMP_TYPE, type MegaMigration } from './migration.js';

/**
 * Who may do what, per path of the Mega directory (`src/access`):
 * - `user_groups` and `group_members`: teams of users;
 * - `path_grants`: a role (`read < write < maintain < admin`) given to a user or a group on a
 *   path, inherited downward; one grant per (path, subject);
 * - `path_settings`: a path's visibility (`public`, `internal`, `private`) and whether authors
 *   may merge their own merge requests; null = inherit from the nearest ancestor that says;
 * - `protected_branches`: ref patterns per repository whose updates need `maintain`.
 * Tokens gain `scopes` (comma list of `read`, `write`, `admin`): tokens made before keep every
 * scope, so upgrading changes nobody's rights.
 */
export const accessMigration: MegaMigration = {
  async up(db, caps) {
    await createTable(db, caps, 'user_groups')
      .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
    await createTable(db, caps, 'group_members', { withId: false, keyOnly: true })
      .addColumn('group_id', 'bigint', (c) => c.notNull().references('user_groups.id').onDelete('cascade'))
      .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
      .execute();
    await db.schema.createIndex('group_members_user').on('group_members').column('user_id').execute();
    await createTable(db, caps, 'path_grants')
      .addColumn('path', 'varchar(512)', (c) => c.notNull())
      .addColumn('subject_kind', 'varchar(8)', (c) => c.notNull())
      .addColumn('subject_id', 'bigint', (c) => c.notNull())
      .addColumn('role', 'varchar(16)', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addUniqueConstraint('path_grants_subject_unique', ['subject_kind', 'subject_id', 'path'])
      .execute();
    await createTable(db, caps, 'path_settings', { withId: false })
      .addColumn('path', 'varchar(512)', (c) => c.notNull().primaryKey())
      .addColumn('visibility', 'varchar(16)')
      .addColumn('self_merge', 'smallint')
      .addColumn('updated_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
    await createTable(db, caps, 'protected_branches')
      .addColumn('repo_path', 'varchar(512)', (c) => c.notNull())
      .addColumn('pattern', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addUniqueConstraint('protected_branches_unique', ['repo_path', 'pattern'])
      .execute();
    await db.schema
      .alterTable('access_tokens')
      .addColumn('scopes', 'varchar(64)', (c) => c.notNull().defaultTo('read,write,admin'))
      .execute();
  },
  async down(db) {
    await db.schema.alterTable('access_tokens').dropColumn('scopes').execute();
    for (const table of [
      'protected_branches',
      'path_settings',
      'path_grants',
      'group_members',
      'user_groups',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
