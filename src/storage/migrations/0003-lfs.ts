import type { MegaMigration } from './migration.js';
import { createTable, TIMESTAMP_TYPE } from './migration.js';

/**
 * Git LFS tables (SPEC §7). The seed's `lfs_objects(oid, size, exist)` is kept as the
 * content-addressed object catalogue (one row per stored object, shared by every repository).
 * Additions, each for a reason:
 * - `lfs_repository_objects`: which repository references which object. Objects are stored once
 *   by content but a repository may only serve objects pushed to it, otherwise anyone who learns
 *   an oid could read another repository's file through their own.
 * - `lfs_file_locks` replaces the seed's `lfs_locks(id, data)` for locks: a JSON blob per row can
 *   neither enforce "one lock per path and repository" under concurrent requests (here a unique
 *   key does) nor filter and page by path, id and owner in SQL. The seed table is left in place,
 *   unused, so migration 0001 stays as committed.
 * Repository paths and file paths can be longer than MySQL can index, so both are also stored as
 * their sha256 (`repo_key`, `path_key`) and the keys carry the indexes.
 */
export const lfsMigration: MegaMigration = {
  async up(db, caps) {
    await createTable(db, caps, 'lfs_repository_objects', { withId: false })
      .addColumn('repo_key', 'varchar(64)', (c) => c.notNull())
      .addColumn('oid', 'varchar(64)', (c) => c.notNull())
      .addColumn('repo_path', caps.types.text, (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addPrimaryKeyConstraint('lfs_repository_objects_pk', ['repo_key', 'oid'])
      .execute();

    await createTable(db, caps, 'lfs_file_locks')
      .addColumn('repo_key', 'varchar(64)', (c) => c.notNull())
      .addColumn('repo_path', caps.types.text, (c) => c.notNull())
      .addColumn('path_key', 'varchar(64)', (c) => c.notNull())
      .addColumn('path', caps.types.text, (c) => c.notNull())
      .addColumn('ref_name', caps.types.text)
      .addColumn('owner_id', 'bigint', (c) => c.notNull())
      .addColumn('owner_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('locked_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addUniqueConstraint('lfs_file_locks_repo_path_unique', ['repo_key', 'path_key'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('lfs_file_locks').execute();
    await db.schema.dropTable('lfs_repository_objects').execute();
  },
};
