import { sql } from 'kysely';
import { createTable, OBJECT_ID_TYPE, TIMESTAMP_TYPE, type MegaMigration } from './migration.js';

/**
 * Code search (issue 21, `storage/search`, docs/search.md): the text files of every repository's
 * default branch, with each database's own trigram machinery in front of them.
 * - `search_heads`: per repository, the commit the index reflects (a lagging index is visible
 *   by comparing it with the branch) and what was left out (binaries, files over the cap);
 * - `search_files`: one row per indexed file. Where the content lives and how it is indexed
 *   follows `capabilities.trigramIndex`:
 *   - `fts5` (SQLite): the content is in the FTS5 table `search_fts` (tokenizer `trigram`), whose
 *     rowid is the file row's id;
 *   - `pg_trgm` (PostgreSQL): `content`, plus `content_folded` (lower-cased, stored uncompressed)
 *     with a GIN `gin_trgm_ops` index, which LIKE uses; without the extension (not installed on
 *     the server) the column stays unindexed and searches scan it;
 *   - `fulltext_words` (MariaDB/MySQL): `content`, plus `trigrams`, the file's distinct
 *     lower-cased trigrams as hex words under a plain FULLTEXT index (MariaDB has no n-gram
 *     parser, so we tokenise ourselves and use the default word parser on the result).
 * `path` is not part of an index key: a 1024-character path is over MariaDB's key limit, and the
 * rows of one repository are found by `repo_id`.
 */
export const searchMigration: MegaMigration = {
  async up(db, caps) {
    await createTable(db, caps, 'search_heads', { withId: false })
      .addColumn('repo_id', 'bigint', (c) => c.notNull().primaryKey())
      .addColumn('repo_path', 'varchar(512)', (c) => c.notNull())
      .addColumn('head_ref', 'varchar(255)', (c) => c.notNull())
      .addColumn('commit_id', OBJECT_ID_TYPE)
      .addColumn('files', 'integer', (c) => c.notNull())
      .addColumn('skipped', 'integer', (c) => c.notNull())
      .addColumn('skipped_detail', caps.types.text)
      .addColumn('indexed_at', TIMESTAMP_TYPE, (c) => c.notNull())
      .execute();

    let files = createTable(db, caps, 'search_files')
      .addColumn('repo_id', 'bigint', (c) => c.notNull())
      .addColumn('path', 'varchar(1024)', (c) => c.notNull())
      .addColumn('blob_id', OBJECT_ID_TYPE, (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('content', caps.types.text);
    if (caps.trigramIndex === 'fulltext_words') files = files.addColumn('trigrams', caps.types.text);
    if (caps.trigramIndex === 'pg_trgm') files = files.addColumn('content_folded', caps.types.text);
    await files.execute();
    await db.schema.createIndex('search_files_repo').on('search_files').column('repo_id').execute();

    if (caps.trigramIndex === 'fts5') {
      await sql`create virtual table search_fts using fts5(content, tokenize = 'trigram')`.execute(db);
    } else if (caps.trigramIndex === 'pg_trgm') {
      const available = await sql<{ name: string }>`
        select name from pg_available_extensions where name = 'pg_trgm'`.execute(db);
      // Uncompressed: every candidate is rechecked with LIKE, and decompressing it would cost
      // more than the comparison (a LIKE over git/git: 83 ms uncompressed, 177 ms compressed,
      // ILIKE on the original 468 ms).
      await sql`alter table search_files alter column content_folded set storage external`.execute(db);
      if (available.rows.length > 0) {
        await sql`create extension if not exists pg_trgm`.execute(db);
        await sql`create index search_files_trgm on search_files using gin (content_folded gin_trgm_ops)`.execute(
          db,
        );
      }
    } else {
      await sql`create fulltext index search_files_trigrams on search_files (trigrams)`.execute(db);
    }
  },

  async down(db, caps) {
    // The pg_trgm extension stays: other schemas of the database may use it.
    if (caps.trigramIndex === 'fts5') await sql`drop table search_fts`.execute(db);
    await db.schema.dropTable('search_files').execute();
    await db.schema.dropTable('search_heads').execute();
  },
};
