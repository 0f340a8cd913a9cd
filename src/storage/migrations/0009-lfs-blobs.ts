import { createTable, TIMESTAMP_TYPE, type MegaMigration } from './migration.js';

/**
 * LFS object contents in the database (`MEGA_LFS_STORE=db`, `lfs/db-blob-store.ts`), for
 * installations with no object storage: servers sharing the database then share LFS objects too.
 * - `lfs_blob_chunks`: the content in ordered pieces small enough for one statement on every
 *   dialect, keyed by an upload's random `blob_id`, not by oid: bytes are written while they
 *   arrive, before anyone knows whether they hash to the announced oid.
 * - `lfs_blobs`: oid → the verified upload's `blob_id`. Only this row makes content readable; it
 *   is inserted after the hash matched, so a failed or hostile upload is never visible.
 * - `lfs_blob_uploads`: uploads in progress, so chunks a crashed process left can be found and
 *   removed.
 */
export const lfsBlobsMigration: MegaMigration = {
  async up(db, caps) {
    await createTable(db, caps, 'lfs_blob_chunks', { withId: false, keyOnly: true })
      .addColumn('blob_id', 'varchar(32)', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('data', caps.types.blob, (c) => c.notNull())
      .addPrimaryKeyConstraint('lfs_blob_chunks_pk', ['blob_id', 'seq'])
      .execute();
    await createTable(db, caps, 'lfs_blobs', { withId: false })
      .addColumn('oid', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('blob_id', 'varchar(32)', (c) => c.notNull().unique())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('chunk_bytes', 'integer', (c) => c.notNull())
      .addColumn('created_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
    await createTable(db, caps, 'lfs_blob_uploads', { withId: false })
      .addColumn('blob_id', 'varchar(32)', (c) => c.primaryKey())
      .addColumn('started_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('lfs_blob_uploads').execute();
    await db.schema.dropTable('lfs_blobs').execute();
    await db.schema.dropTable('lfs_blob_chunks').execute();
  },
};
