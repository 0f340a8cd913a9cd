import type { Kysely } from 'kysely';
import type { DialectCapabilities } from '../dialect/capabilities.js';
import { createTable, OBJECT_ID_TYPE, type MegaMigration } from './migration.js';

/**
 * `repository_objects` keeps only its primary key (repo_id, git_id): every ingested object adds a
 * membership row, so each extra structure is paid once per object.
 *
 * - The `git_id` index (0004) goes: "which repository holds this id" is answered through the
 *   primary key, one probe per repository (`ObjectHolders.holders`). On the 32,654-object bench
 *   pack it was 1.7 MB of the SQLite file, 2.9 MB on PostgreSQL, and a second B-tree insert per
 *   object on every database.
 * - The foreign key to `repositories` goes: PostgreSQL checks it with one query per inserted row,
 *   ~40 % of the time of the membership inserts. `RepositoryStore.delete` removes a repository's
 *   rows itself, and ingest checks in its transaction that the repository exists.
 *
 * SQLite cannot drop a constraint in place, so the table is rebuilt the same way on every
 * database (rows copied in key order, which also leaves InnoDB pages full).
 */
const NEXT = 'repository_objects_next';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations use untyped Kysely
async function rebuild(db: Kysely<any>, caps: DialectCapabilities, withForeignKey: boolean): Promise<void> {
  await createTable(db, caps, NEXT, { withId: false, keyOnly: true })
    .addColumn('repo_id', 'bigint', (c) =>
      withForeignKey ? c.notNull().references('repositories.id').onDelete('cascade') : c.notNull(),
    )
    .addColumn('git_id', OBJECT_ID_TYPE, (c) => c.notNull())
    // Constraint (and PostgreSQL index) names are per schema: the old table still holds the other one.
    .addPrimaryKeyConstraint(withForeignKey ? 'repository_objects_pk' : 'repository_objects_key', [
      'repo_id',
      'git_id',
    ])
    .execute();
  let rows = db.selectFrom('repository_objects').select(['repo_id', 'git_id']);
  // Rows of repositories deleted while there was no foreign key would now violate it.
  if (withForeignKey) rows = rows.where('repo_id', 'in', db.selectFrom('repositories').select('id'));
  await db
    .insertInto(NEXT)
    .columns(['repo_id', 'git_id'])
    .expression(rows.orderBy('repo_id').orderBy('git_id'))
    .execute();
  await db.schema.dropTable('repository_objects').execute();
  await db.schema.alterTable(NEXT).renameTo('repository_objects').execute();
}

export const membershipKeysMigration: MegaMigration = {
  async up(db, caps) {
    await rebuild(db, caps, false);
  },

  async down(db, caps) {
    await rebuild(db, caps, true);
    await db.schema
      .createIndex('repository_objects_git_id')
      .on('repository_objects')
      .column('git_id')
      .execute();
  },
};
