import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, type Dialect, type PostgresCursorConstructor } from 'kysely';
import type * as Mysql2 from 'mysql2';
import type Pg from 'pg';
import { onHeapRelease, setHeapTrim } from '../platform/heap-release.js';
import { trimCHeap } from './c-heap-trim.js';
import type { Database } from './database.js';
import {
  MYSQL_CAPABILITIES,
  POSTGRES_CAPABILITIES,
  SQLITE_CAPABILITIES,
  type DialectCapabilities,
} from './dialect/capabilities.js';
import { parseDatabaseUrl, redactDatabaseUrl, type DatabaseLocation } from './dialect/database-url.js';
import { EventLoopTurns } from './dialect/event-loop-turns.js';
import { FaultMappingDialect } from './dialect/fault-mapping-dialect.js';
import { ImmediateSqliteDialect } from './dialect/immediate-sqlite-dialect.js';
import { PostgresCopyCursor } from './dialect/postgres-copy-cursor.js';
import { COPY_IN_STATEMENT, PostgresCopyIn } from './dialect/postgres-copy-in.js';
import { binaryInsertPool } from './dialect/mysql-binary-inserts.js';
import { announceBulkOperations } from './dialect/mysql-bulk-execute.js';
import { tellInsertedRowKeys } from './inserted-row-keys.js';
import { asDatabaseFault, StorageFaultLog } from './storage-faults.js';
import {
  CHECKPOINT_WAL_BYTES,
  FALLBACK_AUTOCHECKPOINT_BYTES,
  SqliteCheckpointer,
} from './sqlite-checkpointer.js';
import { releaseSqliteMemory } from './sqlite-memory-release.js';

/** An open database: the query builder, what the dialect can do, and how to close it. */
export interface MegaDatabase {
  readonly db: Kysely<Database>;
  readonly capabilities: DialectCapabilities;
  /** The URL without its password, for logs. */
  readonly displayUrl: string;
  /** Faults the database and the stores met (a full disk), for the readiness check. */
  readonly faults: StorageFaultLog;
  /**
   * Runs one statement once per parameter row through a cached prepared statement. Only where the
   * driver is in-process and synchronous (SQLite): it uses Kysely's single connection directly, so
   * it joins the transaction that connection is in. Call it only inside a transaction you hold.
   */
  readonly runPreparedBatch?: PreparedBatchRunner;
  /**
   * Runs one query through a cached prepared statement and returns its rows as arrays (SQLite:
   * no query building, no per-row objects). It bypasses Kysely's lock on the one connection, so
   * it refuses (returns undefined; use Kysely) while a transaction the caller is not part of is
   * open on it: its uncommitted rows must not be seen. `inTransaction`: the caller runs in one.
   */
  readonly runPreparedQuery?: (
    statement: string,
    parameters: readonly unknown[],
    inTransaction: boolean,
  ) => unknown[][] | undefined;
  /**
   * SQLite's checkpoint thread (see `SqliteCheckpointer`), for benches that open a fresh database
   * for each measured ingest: `ready` starts it before the measured window (a server starts it
   * once, at its first big commit), `idle` waits for the checkpoint a commit started (a server runs
   * it after each big push, on that thread). Absent on the other databases and in memory.
   */
  readonly walCheckpoints?: WalCheckpoints;
  close(): Promise<void>;
}

/** See `MegaDatabase.walCheckpoints`. */
export interface WalCheckpoints {
  ready(): Promise<void>;
  idle(): Promise<void>;
}

/**
 * Runs `statement` once per parameter row (see `MegaDatabase.runPreparedBatch`). `inserted`, when
 * given, is told the row key (rowid) of each table row the statement inserted; a row it skipped as
 * present (`ON CONFLICT DO NOTHING`) is not told.
 */
export type PreparedBatchRunner = (
  statement: string,
  parameterRows: readonly (readonly unknown[])[],
  inserted?: InsertedRowKeys,
) => void;

/** How an insert through `PreparedBatchRunner` tells the keys of the rows it inserted. */
export interface InsertedRowKeys {
  /** Table rows each parameter row carries (a multi-row VALUES list), their values in turn. */
  readonly rowsPerStatement: number;
  /**
   * `SELECT rowid FROM t WHERE u = ?` by a row's first value `u`, unique in the table: asked only
   * for a statement that skipped some of its rows but not all (`tellInsertedRowKeys`).
   */
  readonly keyQuery: string;
  /** Hears each inserted row's index among all the call's table rows, and its key. */
  told(index: number, rowKey: number): void;
}

export interface OpenDatabaseOptions {
  /** Connections in the pool (PostgreSQL, MySQL); SQLite has one writer connection. */
  readonly poolSize?: number;
  /** How long SQLite waits for another process's write lock before failing, in ms. */
  readonly busyTimeoutMs?: number;
  /**
   * Told when an idle pooled connection dies (server restart, admin termination). The pool drops
   * that connection and opens a new one on demand; without a listener Node would crash.
   */
  readonly onIdleConnectionError?: (error: Error) => void;
}

/**
 * The PostgreSQL and MySQL drivers are loaded only when a URL asks for them: together they add
 * ~25 MB to every process, which the embedded default (SQLite) never needs. Both are CommonJS, so
 * a synchronous require keeps `openDatabase` synchronous.
 */
const requireDriver = createRequire(import.meta.url);

const DEFAULT_POOL_SIZE = 10;
/**
 * How long a request waits for a new PostgreSQL connection before it is told the database is
 * unavailable (503), instead of hanging while the server does not answer.
 */
const CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
const PG_INT8_OID = 20;
/** The page cache's size in KiB (`cache_size` below zero): the same bytes whatever the page size. */
const SQLITE_CACHE_KIB = 32 * 1024;
/**
 * Page size of a NEW SQLite database: 16 KiB rather than SQLite's default 4. An ingest's
 * `COMMIT` writes a quarter as many log frames for the same rows (the bench pack's ~3,100 dirty
 * pages of 4 KiB: ~16 ms of the request's thread, ~10 at 16 KiB), blobs of 4–16 KB fit in one
 * page instead of an overflow chain (the 497k-object push's database is 335 MB instead of 365),
 * and key lookups walk shallower B-trees (reads measured the same or faster: docs/scale.md,
 * "SQLite's ingest tail"). Every empty table costs a page, so a new database starts at ~2 MB
 * instead of ~0.5. A database made with another size keeps it: the pragma does nothing once the
 * file has pages, and changing it would take a `VACUUM` of the whole file, which no migration runs.
 */
const SQLITE_PAGE_BYTES = 16 * 1024;
const MAX_PREPARED_STATEMENTS = 64;

interface DialectParts {
  readonly dialect: Dialect;
  readonly capabilities: DialectCapabilities;
  readonly runPreparedBatch?: MegaDatabase['runPreparedBatch'];
  readonly runPreparedQuery?: MegaDatabase['runPreparedQuery'];
  /** Told after every committed transaction. */
  readonly afterCommit?: () => void;
  /** Runs before the connections close. */
  readonly beforeClose?: () => Promise<void>;
  readonly walCheckpoints?: WalCheckpoints;
  /** An in-process, synchronous driver's turns for the event loop (see `EventLoopTurns`). */
  readonly turns?: EventLoopTurns;
}

/**
 * Prepared statements by SQL text: ingest reuses a handful of them for every row, object reads a
 * few for every batch.
 */
function preparedRunners(
  connection: BetterSqlite3.Database,
): Pick<DialectParts, 'runPreparedBatch' | 'runPreparedQuery'> {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (statement: string) => {
    let prepared = statements.get(statement);
    if (!prepared) {
      prepared = connection.prepare(statement);
      statements.set(statement, prepared);
    }
    return prepared;
  };
  const storedKey = (keyQuery: string, value: unknown) => {
    const key = prepare(keyQuery).pluck(true).get(value) as number | bigint | undefined;
    return key === undefined ? undefined : Number(key);
  };
  return {
    runPreparedBatch: (statement, parameterRows, inserted) => {
      const prepared = prepare(statement);
      if (!inserted) {
        for (const parameters of parameterRows) prepared.run(parameters);
        return;
      }
      const rows = inserted.rowsPerStatement;
      for (let index = 0; index < parameterRows.length; index++) {
        const parameters = parameterRows[index]!;
        const { changes, lastInsertRowid } = prepared.run(parameters);
        const width = parameters.length / rows;
        tellInsertedRowKeys(
          rows,
          changes,
          Number(lastInsertRowid),
          (row) => storedKey(inserted.keyQuery, parameters[row * width]),
          (row, rowKey) => inserted.told(index * rows + row, rowKey),
        );
      }
    },
    runPreparedQuery: (statement, parameters, inTransaction) => {
      if (connection.inTransaction && !inTransaction) return undefined;
      // One array argument binds positionally, without spreading a thousand ids into the call.
      return prepare(statement).raw(true).all(parameters) as unknown[][];
    },
  };
}

function sqliteDialect(path: string, options: OpenDatabaseOptions): DialectParts {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const connection = new BetterSqlite3(path);
  // Before anything creates the file's first page (WAL mode writes it): see SQLITE_PAGE_BYTES.
  connection.pragma(`page_size = ${SQLITE_PAGE_BYTES}`);
  // WAL lets readers run while one writer commits; NORMAL sync in WAL mode keeps every commit
  // atomic and the file consistent after a crash (only the last commits may roll back on power loss).
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  connection.pragma(`busy_timeout = ${busyTimeoutMs}`);
  connection.pragma('foreign_keys = ON');
  // Index pages of an ingest stay cached; beyond that the OS page cache serves re-reads, and a
  // full clone's scan of the whole object table does not grow the process by the database's size.
  // 32 MiB rather than 16: the unique index on `raw_objects.git_id` of a 497k-object push (~30 MB)
  // then mostly stays cached, where each random insert fetched a leaf page back and spilled it
  // again (497k synthetic rows: 665 MB read and 840 MB written by syscalls instead of 1,140 and
  // 1,248; docs/scale.md, "SQLite's object rows: where their CPU goes"). 64 MiB did no better.
  connection.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  const parts = {
    dialect: new ImmediateSqliteDialect(connection, busyTimeoutMs),
    capabilities: SQLITE_CAPABILITIES,
    ...preparedRunners(connection),
    // A server database's driver waits for its socket, which turns the event loop; SQLite's does not.
    turns: new EventLoopTurns(() => !connection.inTransaction),
  };
  if (path === ':memory:') return parts;
  // Checkpoints run on their own thread (see SqliteCheckpointer); the log a reset leaves behind
  // is cut back to the size that starts one.
  // Pages of log by the database's own page size, which an older database keeps.
  const pageBytes = connection.pragma('page_size', { simple: true }) as number;
  const autocheckpoint = (bytes: number) => `wal_autocheckpoint = ${Math.ceil(bytes / pageBytes)}`;
  connection.pragma(autocheckpoint(FALLBACK_AUTOCHECKPOINT_BYTES));
  connection.pragma(`journal_size_limit = ${CHECKPOINT_WAL_BYTES}`);
  const checkpointer = new SqliteCheckpointer(path, () => {
    if (connection.open) connection.pragma(autocheckpoint(CHECKPOINT_WAL_BYTES));
  });
  // Once a big job is over, its cached pages and the C heap's free pages go back to the system.
  const stopReleasing = onHeapRelease(() => releaseSqliteMemory(connection));
  return {
    ...parts,
    afterCommit: () => checkpointer.afterCommit(),
    beforeClose: () => {
      stopReleasing();
      return checkpointer.close();
    },
    walCheckpoints: { ready: () => checkpointer.ready(), idle: () => checkpointer.idle() },
  };
}

function postgresDialect(url: string, options: OpenDatabaseOptions): Dialect {
  const pg = requireDriver('pg') as typeof Pg;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // BIGINT comes back as a string by default; our ids and sizes stay below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', (error) => options.onIdleConnectionError?.(error));
  // A connection that dies while checked out (the server restarts or terminates it mid-query)
  // emits 'error' after its query failed; unheard, Node would crash the process. The query itself
  // already reports the fault (database_unavailable) and the pool drops the dead client.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onIdleConnectionError?.(error));
  });
  // The only streams on PostgreSQL are binary COPYs: of chunk rows to us (`capabilities.blobCopy`),
  // and of rows from us (`capabilities.rowCopy`).
  return new PostgresDialect({ pool, cursor: PostgresCopyStatement as unknown as PostgresCursorConstructor });
}

/** The query object for a binary COPY statement, by its direction (Kysely takes one class). */
function PostgresCopyStatement(
  text: string,
  parameters: readonly unknown[],
): PostgresCopyCursor | PostgresCopyIn {
  return COPY_IN_STATEMENT.test(text)
    ? new PostgresCopyIn(text, parameters)
    : new PostgresCopyCursor(text, parameters);
}

/**
 * mysql2's client handshake command, which its package does not export (see
 * `announceBulkOperations`); undefined where this version keeps it elsewhere.
 */
function mysqlClientHandshake(): { prototype: object } | undefined {
  try {
    const main = requireDriver.resolve('mysql2');
    return requireDriver(join(dirname(main), 'lib', 'commands', 'client_handshake.js')) as {
      prototype: object;
    };
  } catch {
    return undefined;
  }
}

function mysqlDialect(url: string, options: OpenDatabaseOptions): DialectParts {
  const { createPool: createMysqlPool } = requireDriver('mysql2') as typeof Mysql2;
  // MariaDB then takes an ingest's multi-row inserts as bulk executes (`binaryInsertPool`).
  announceBulkOperations(mysqlClientHandshake());
  const pool = createMysqlPool({
    uri: url,
    connectionLimit: options.poolSize ?? DEFAULT_POOL_SIZE,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: false,
    dateStrings: true,
    // Only binary inserts are prepared (see binaryInsertPool), a few statements per connection;
    // evicted ones are closed, so the server's prepared-statement limit is never approached.
    maxPreparedStatements: MAX_PREPARED_STATEMENTS,
  });
  const inserts = binaryInsertPool(pool);
  return {
    dialect: new MysqlDialect({ pool: inserts }),
    capabilities: { ...MYSQL_CAPABILITIES, bulkRowInserts: () => inserts.takesBulkExecute() },
  };
}

function dialectFor(location: DatabaseLocation, options: OpenDatabaseOptions): DialectParts {
  switch (location.kind) {
    case 'sqlite':
      return sqliteDialect(location.path, options);
    case 'postgres':
      return { dialect: postgresDialect(location.url, options), capabilities: POSTGRES_CAPABILITIES };
    case 'mysql':
      return mysqlDialect(location.url, options);
  }
}

/** A synchronous runner whose driver errors come out as typed faults, like Kysely's queries. */
function faultMapped<A extends unknown[], R>(run: (...args: A) => R, onFault: (error: unknown) => void) {
  return (...args: A): R => {
    try {
      return run(...args);
    } catch (error) {
      const fault = asDatabaseFault(error);
      if (fault !== error) onFault(fault);
      throw fault;
    }
  };
}

/**
 * Opens `sqlite:PATH` (creating the parent directory), `postgres://…` or `mysql://…`. Does not
 * migrate: call `migrateToLatest` (or use `openStorage`, which does).
 */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): MegaDatabase {
  // A server on any database gives its C heap back after big jobs (`c-heap-trim.ts`).
  setHeapTrim(trimCHeap);
  const {
    dialect,
    capabilities,
    runPreparedBatch,
    runPreparedQuery,
    afterCommit,
    beforeClose,
    turns,
    walCheckpoints,
  } = dialectFor(parseDatabaseUrl(url), options);
  const faults = new StorageFaultLog();
  const onFault = (error: unknown) => faults.record(error);
  const db = new Kysely<Database>({
    dialect: new FaultMappingDialect(dialect, onFault, afterCommit, turns),
  });
  let closed = false;
  return {
    db,
    capabilities,
    displayUrl: redactDatabaseUrl(url),
    faults,
    ...(runPreparedBatch ? { runPreparedBatch: faultMapped(runPreparedBatch, onFault) } : {}),
    ...(runPreparedQuery ? { runPreparedQuery: faultMapped(runPreparedQuery, onFault) } : {}),
    ...(walCheckpoints ? { walCheckpoints } : {}),
    async close() {
      if (closed) return;
      closed = true;
      await beforeClose?.();
      await db.destroy();
    },
  };
}
