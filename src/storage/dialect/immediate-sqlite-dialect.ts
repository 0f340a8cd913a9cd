import { setTimeout as sleep } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';

/** The longest pause between two attempts to take the write lock. */
const MAX_PAUSE_MS = 50;

/**
 * Kysely's SQLite dialect, with every transaction begun `IMMEDIATE`.
 *
 * A deferred transaction (SQLite's default `BEGIN`) takes its read snapshot at the first read and
 * asks for the write lock only at the first write. When another process (the CLI next to a
 * running server) commits in between, SQLite answers `SQLITE_BUSY_SNAPSHOT` at once: the busy
 * timeout does not apply, because waiting could never make the stale snapshot current. Taking the
 * write lock at `BEGIN` makes the transaction wait its turn and then read and write one
 * consistent state. Mega's transactions all write; plain reads run outside them.
 *
 * The wait for the lock is asynchronous: SQLite's own busy handler would sleep on the event loop's
 * thread, so a transaction of this process holding the lock (another connection, as in tests
 * that stand in for two servers) could never finish while we wait for it.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly busyTimeoutMs: number,
  ) {
    super({ database });
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.database, this.busyTimeoutMs);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly busyTimeoutMs: number,
  ) {
    super({ database });
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const started = Date.now();
    for (let pause = 1; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
      try {
        await this.beginWithoutBusyWait(connection);
        return;
      } catch (error) {
        const busy = (error as { code?: unknown }).code === 'SQLITE_BUSY';
        if (!busy || Date.now() - started >= this.busyTimeoutMs) throw error;
      }
      await sleep(pause);
    }
  }

  private async beginWithoutBusyWait(connection: DatabaseConnection): Promise<void> {
    this.database.pragma('busy_timeout = 0');
    try {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    } finally {
      this.database.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    }
  }
}
