import { createTable, OBJECT_ID_TYPE, type MegaMigration } from './migration.js';

/**
 * Large objects in the database: their pack-ready zlib stream in ordered pieces, each small
 * enough for one statement on every dialect (`object-chunks.ts`). Servers sharing a database then
 * need no shared filesystem. Objects an older version wrote to `<dataDir>/objects/` are moved
 * here when storage opens (`object-file-move.ts`), not in this step: the files belong to the data
 * directory, which a migration run against the database alone may not see.
 */
export const objectChunksMigration: MegaMigration = {
  async up(db, caps) {
    await createTable(db, caps, 'object_chunks', { withId: false, keyOnly: true })
      .addColumn('git_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('data', caps.types.blob, (c) => c.notNull())
      .addPrimaryKeyConstraint('object_chunks_pk', ['git_id', 'seq'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('object_chunks').execute();
  },
};
