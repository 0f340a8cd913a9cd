import { sql, type CreateTableBuilder, type Kysely, type RawBuilder } from 'kysely';
import type { DialectCapabilities } from '../dialect/capabilities.js';

/**
 * One schema step. Migrations receive the dialect's capabilities so column types and table
 * options come from the capability layer, never from a database-name check. Migrations take an
 * untyped `Kysely<any>` on purpose: they describe the schema of their own moment, not today's.
 */
export interface MegaMigration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, capabilities: DialectCapabilities): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  down(db: Kysely<any>, capabilities: DialectCapabilities): Promise<void>;
}

/**
 * Git object ids as hex: 40 (SHA-1) or 64 (SHA-256) characters. Migrations after 0017 add id
 * columns with `objectIdType(caps)` instead, so they compare as bytes like the others.
 */
export const OBJECT_ID_TYPE = 'varchar(64)';

/**
 * The type of a new object id column: `OBJECT_ID_TYPE` in byte order where the database's default
 * collation would compare by locale (0017). A column in another collation than the ones it is
 * compared with would not use their indexes (PostgreSQL).
 */
export function objectIdType(capabilities: DialectCapabilities): RawBuilder<unknown> {
  return capabilities.types.byteOrderedObjectId ?? sql.raw(OBJECT_ID_TYPE);
}
/** ISO-8601 UTC timestamps as text. */
export const TIMESTAMP_TYPE = 'varchar(32)';

/**
 * `CREATE TABLE name (id <auto id> primary key, …)` with the dialect's table options; pass
 * `withId: false` for tables keyed otherwise, plus `keyOnly: true` when the table has only key
 * columns or is always read by its composite primary key (see `keyOnlyTableOptions`).
 */
export function createTable(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  capabilities: DialectCapabilities,
  name: string,
  options: { withId?: boolean; keyOnly?: boolean } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): CreateTableBuilder<any, any> {
  let table = db.schema.createTable(name);
  if (capabilities.tableOptions) table = table.modifyEnd(capabilities.tableOptions);
  if (options.keyOnly && capabilities.keyOnlyTableOptions)
    table = table.modifyEnd(capabilities.keyOnlyTableOptions);
  if (options.withId === false) return table;
  return table.addColumn('id', capabilities.types.autoId, (column) =>
    capabilities.types.autoIdModifier ? column.primaryKey().autoIncrement() : column.primaryKey(),
  );
}

/** Drops an index the way the dialect spells it (only MySQL wants the table name). */
export async function dropIndex(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  capabilities: DialectCapabilities,
  name: string,
  table: string,
): Promise<void> {
  const query = db.schema.dropIndex(name);
  await (capabilities.dropIndexNeedsTable ? query.on(table) : query).execute();
}
