import { createTable, TIMESTAMP_TYPE, type MegaMigration } from './migration.js';

/**
 * Recorded full-clone walks (`clone-walks.ts`): a clone whose walk is recorded sends its first
 * pack byte without reading the repository's commits and trees. One row per walk, its object
 * list in parts (a repository of millions of objects would not fit one statement).
 */
export const cloneWalksMigration: MegaMigration = {
  async up(db, caps) {
    await createTable(db, caps, 'clone_walks')
      .addColumn('repo_id', 'bigint', (c) => c.notNull())
      .addColumn('walk_key', 'varchar(64)', (c) => c.notNull())
      .addColumn('object_count', 'bigint', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .addUniqueConstraint('clone_walks_repo_key', ['repo_id', 'walk_key'])
      .execute();
    await createTable(db, caps, 'clone_walk_parts', { withId: false })
      .addColumn('walk_id', 'bigint', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('data', caps.types.blob, (c) => c.notNull())
      .addPrimaryKeyConstraint('clone_walk_parts_pk', ['walk_id', 'seq'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('clone_walk_parts').execute();
    await db.schema.dropTable('clone_walks').execute();
  },
};
