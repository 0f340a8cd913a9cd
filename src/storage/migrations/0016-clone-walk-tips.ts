import { createTable, OBJECT_ID_TYPE, type MegaMigration } from './migration.js';

/**
 * Which objects of a recorded walk each ref tip reaches (`clone-walk-tips/`): one row per walk
 * and tip, a bitmap over the walk's positions. A clone of some of those tips alone (`git clone
 * --single-branch --branch <other>`, a fetch of some refs into an empty repository) sends the
 * walk's entries of the union of their bitmaps instead of walking the repository's trees.
 */
export const cloneWalkTipsMigration: MegaMigration = {
  async up(db, caps) {
    await createTable(db, caps, 'clone_walk_tips', { withId: false })
      .addColumn('walk_id', 'bigint', (c) => c.notNull())
      .addColumn('tip', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('data', caps.types.blob, (c) => c.notNull())
      .addPrimaryKeyConstraint('clone_walk_tips_pk', ['walk_id', 'tip'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('clone_walk_tips').execute();
  },
};
