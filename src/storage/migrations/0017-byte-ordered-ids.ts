import { sql, type Kysely, type RawBuilder } from 'kysely';
import { OBJECT_ID_TYPE, objectIdType, type MegaMigration } from './migration.js';

/**
 * Object id columns compared as bytes where the database would compare them by locale
 * (`caps.types.byteOrderedObjectId`: PostgreSQL, whose databases default to a locale such as
 * en_US.UTF-8 or C.UTF-8; SQLite and the MariaDB tables compare bytes already, a no-op there).
 *
 * Every ingested object adds B-tree entries keyed by its id (`raw_objects`' unique `git_id`,
 * membership's key, `commit`'s keys), and each insert descends its tree by ~20 comparisons; a
 * locale's go through strcoll (copies to terminated strings, no memcmp fast path). Ids are
 * lowercase hex, so byte order and every locale's order agree: no result or ordering changes.
 *
 * All id columns change together, the indexed ones and those compared with them: PostgreSQL uses
 * an index only for a comparison in the index's collation, and a comparison of a "C" column with
 * a default-collation one is made in "C". A collation change keeps the rows where they are
 * (no table rewrite); the indexes of the changed columns are rebuilt.
 */
const OBJECT_ID_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  refs: ['ref_git_id'],
  raw_objects: ['git_id', 'delta_base'],
  repository_objects: ['git_id'],
  object_chunks: ['git_id'],
  commit: ['git_id', 'tree'],
  dir_commit: ['git_id', 'tree'],
  dir_tree: ['git_id', 'last_commit'],
  mega_directory: ['tree_id'],
  mega_view_commit: ['commit_id', 'tree_id', 'parent_id', 'directory_commit'],
  merge_request: ['commit_id', 'source_commit', 'target_commit'],
  merge_request_change: ['base_commit', 'head_commit', 'merged_commit'],
  mr_comments: ['commit_id'],
  mr_approvals: ['commit_id'],
  commit_statuses: ['commit_id'],
  git_sync_log: ['from_commit', 'to_commit'],
  pull_request: ['base_sha', 'head_sha'],
  search_heads: ['commit_id'],
  search_files: ['blob_id'],
  clone_walk_tips: ['tip'],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations use untyped Kysely
async function setIdType(db: Kysely<any>, type: RawBuilder<unknown>): Promise<void> {
  for (const [table, columns] of Object.entries(OBJECT_ID_COLUMNS)) {
    // One statement per table: its indexes are rebuilt once.
    const changes = columns.map((column) => sql`alter column ${sql.ref(column)} type ${type}`);
    await sql`alter table ${sql.table(table)} ${sql.join(changes)}`.execute(db);
  }
}

export const byteOrderedIdsMigration: MegaMigration = {
  async up(db, caps) {
    if (caps.types.byteOrderedObjectId) await setIdType(db, objectIdType(caps));
  },
  async down(db, caps) {
    if (caps.types.byteOrderedObjectId) await setIdType(db, sql.raw(OBJECT_ID_TYPE));
  },
};
