import {
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';

/**
 * Kysely's SQLite dialect, with every transaction begun `IMMEDIATE`.
 *
 * A deferred transaction (SQLite's default `BEGIN`) takes its read snapshot at the first read and
 * asks for the write lock only at the first write. When another process (the CLI next to a
 * running server, or a second server on the same file) commits in between, SQLite answers
 * `SQLITE_BUSY_SNAPSHOT` at once: the busy timeout does not apply, because waiting could never make
 * the stale snapshot current. Taking the write lock at `BEGIN` makes the transaction wait its turn
 * (up to the busy timeout) and then read and write one consistent state. Every transaction in
 * Mega writes; plain reads run outside transactions and are not affected.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly config: SqliteDialectConfig) {
    super(config);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.config);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
