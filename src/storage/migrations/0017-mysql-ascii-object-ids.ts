import { sql, type Kysely, type RawBuilder } from 'kysely';
import { OBJECT_ID_TYPE, type MegaMigration } from './migration.js';

/**
 * The id columns every ingest writes, in a narrower type where the dialect has one
 * (`types.narrowObjectId`; MySQL/MariaDB only, nothing on the others). On MariaDB the keys of
 * `raw_objects.git_id`, `repository_objects` and `commit.git_id` were `utf8mb4_bin`, which InnoDB
 * compares a character at a time; `ascii_bin` compares bytes (docs/scale.md, "MariaDB's ingest:
 * object ids in ASCII"). Hex ids are ASCII, so the rows convert without loss. The columns these
 * are joined with are among them, so every join stays within one character set; ids passed as
 * parameters are converted to the column's set, and the indexes still serve them.
 */
const COLUMNS: readonly { table: string; columns: readonly { name: string; nullable?: boolean }[] }[] = [
  { table: 'raw_objects', columns: [{ name: 'git_id' }, { name: 'delta_base', nullable: true }] },
  { table: 'repository_objects', columns: [{ name: 'git_id' }] },
  { table: 'commit', columns: [{ name: 'git_id' }, { name: 'tree' }] },
];

async function retype(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  type: RawBuilder<unknown>,
): Promise<void> {
  for (const { table, columns } of COLUMNS) {
    const changes = columns.map(
      ({ name, nullable }) => sql`modify ${sql.id(name)} ${type} ${sql.raw(nullable ? 'null' : 'not null')}`,
    );
    // One statement per table: InnoDB rebuilds it once.
    await sql`alter table ${sql.table(table)} ${sql.join(changes)}`.execute(db);
  }
}

export const mysqlAsciiObjectIdsMigration: MegaMigration = {
  async up(db, caps) {
    if (caps.types.narrowObjectId) await retype(db, caps.types.narrowObjectId);
  },
  async down(db, caps) {
    // Back to the table's own character set and collation.
    if (caps.types.narrowObjectId) await retype(db, sql.raw(OBJECT_ID_TYPE));
  },
};
