import { sql, type RawBuilder } from 'kysely';
import { copyStream, decodeCopyTuples, encodeCopyTuples } from './copy-binary-encoder.js';
import { mergeTupleRuns } from './copy-tuple-runs.js';
import { encodePostgresArray, POSTGRES_ARRAY_TYPE, type ColumnKind } from './postgres-arrays.js';

export type { ColumnKind } from './postgres-arrays.js';

/** Many rows sent as one array parameter per column (see `DialectCapabilities.columnArrays`). */
export interface ColumnArrays {
  /** The cast of a parameter holding an array of `kind`, e.g. `text[]`. */
  readonly arrayType: Readonly<Record<ColumnKind, string>>;
  /** The parameter value carrying `values` as an array of `kind` (null/undefined = NULL). */
  encode(kind: ColumnKind, values: readonly unknown[]): unknown;
}

/**
 * How rows of blob slices are streamed as raw bytes (see `DialectCapabilities.blobCopy`).
 */
export interface BlobCopy {
  /** A table expression of the 1-based offsets of slices below `length`, as column `at`. */
  offsets(length: RawBuilder<number>): RawBuilder<{ at: number }>;
  /** The raw bytes of `blob` from `at`, one slice long at most. */
  slice(blob: RawBuilder<Buffer>, at: RawBuilder<number>): RawBuilder<Buffer>;
  /**
   * The statement sending `query`'s rows as binary COPY tuples, which `executor.stream` runs as
   * rows of field buffers (`dialect/postgres-copy-cursor.ts`). It takes no parameters: values in
   * `query` must be literals the caller validated.
   */
  statement(query: RawBuilder<unknown>): RawBuilder<unknown>;
}

/** Rows sent as their bytes by a binary COPY (see `DialectCapabilities.rowCopy`). */
export interface RowCopy {
  /** The statement copying rows into `columns` of `table`; its one parameter is `stream`'s data. */
  statement(table: string, columns: readonly string[]): RawBuilder<unknown>;
  /**
   * `rows` (values in the order of `kinds`) as the tuples of the statement's data, in pieces made
   * as they are asked for. Throws, before any piece is made, on a value its kind cannot hold.
   */
  tuples(kinds: readonly ColumnKind[], rows: readonly (readonly unknown[])[]): Iterable<Buffer>;
  /** The statement's data: the header, `tuples`' pieces (of one batch or several), the trailer. */
  stream(tuples: Iterable<Buffer>): Iterable<Buffer>;
  /** The rows of `tuples`' pieces, as values again (for a batch that must go another way). */
  decode(kinds: readonly ColumnKind[], tuples: Iterable<Buffer>): unknown[][];
  /**
   * Runs of `tuples`' pieces, each ordered by its rows' first column as bytes, as one run in that
   * order (for one COPY of several sorted batches).
   */
  mergeRuns(runs: readonly (readonly Buffer[])[]): Buffer[];
}

/**
 * What differs between the three databases, in one place. Code elsewhere asks these flags and
 * helpers ("does it support RETURNING?", "how many bind parameters fit in a statement?") and never
 * branches on a database name, so a fourth dialect is one more object here.
 */
export interface DialectCapabilities {
  /** For logs and bench labels only; never branch on it. */
  readonly label: 'sqlite' | 'postgres' | 'mysql';
  /** `INSERT … RETURNING` / `UPDATE … RETURNING` exist (PostgreSQL, SQLite ≥ 3.35; not MySQL). */
  readonly supportsReturning: boolean;
  /** Bind parameters allowed in one statement (SQLite 32766, PostgreSQL/MySQL 65535). */
  readonly maxBindParams: number;
  /**
   * Largest statement payload we send in one go, in bytes of bound blobs: MariaDB rejects a
   * packet above `max_allowed_packet` (16 MiB by default), so multi-row inserts are cut by bytes too.
   */
  readonly maxStatementBytes: number;
  /**
   * Every query of the process shares one connection (SQLite through Kysely): an open transaction
   * blocks all other queries, so long ones (a push's ingest) must not wait on the network inside it.
   */
  readonly singleConnection: boolean;
  /**
   * `SELECT … FOR UPDATE` takes a row lock held to the end of the transaction (PostgreSQL,
   * MySQL). SQLite has no such clause and needs none: it admits one writing transaction at a time.
   */
  readonly rowLocks: boolean;
  /** How "insert unless a row with this key exists" is spelled. */
  readonly insertIgnore: 'on-conflict-do-nothing' | 'insert-ignore';
  /**
   * Set when bulk inserts are cheapest as `INSERT … SELECT unnest($1::text[]), unnest($2::…)`, one
   * array parameter per column (PostgreSQL): the server parses and plans a 2000-row VALUES list of
   * 20,000 parameters slower than it inserts the rows. Unset: multi-row VALUES.
   */
  readonly columnArrays: ColumnArrays | undefined;
  /**
   * Object ids sent as ONE parameter and read back as rows of a subquery with one column, `id`
   * (alias it to select from it): SQLite's `json_each`, PostgreSQL's `unnest` of a binary
   * `text[]`, MySQL's `json_table`. A push's 30k membership rows then cost one parameter instead of
   * 60k, which the drivers bind (or MySQL's text protocol formats into the SQL) one by one.
   */
  idList(ids: readonly string[]): RawBuilder<{ id: string }>;
  /**
   * Set where `idList` reads its ids from JSON text (SQLite): `idList` of text a caller wrote
   * itself, an array of hex strings (`membershipJson`), without a string per id.
   */
  readonly jsonIdList?: (json: string) => RawBuilder<{ id: string }>;
  /**
   * Set where the database's multi-row inserts of many rows go as one bulk execute of their
   * one-row statement (MariaDB, once its connections announced it: `mysql-bulk-execute.ts`); true
   * while they do. Rows are then cheaper for the server than `idList`'s JSON: membership of the
   * bench pack's 32,654 ids took it 70–100 ms of CPU against 130–160 by `json_table`.
   */
  readonly bulkRowInserts?: () => boolean;
  /**
   * Set where big blobs are cheapest streamed as raw bytes by a binary COPY of their slices
   * (PostgreSQL): node-postgres delivers every DataRow field as a JS string (`bytea` as hex
   * text, 2 bytes a byte), but CopyData messages as bytes; and it regrows its message buffer by
   * doubling for a message bigger than a socket read, which slices of 32 KiB never are. A clone
   * of ten 5 MiB files peaked at 127–132 MB instead of 140–151 (docs/scale.md). Unset: one
   * query per chunk row, the whole value.
   */
  readonly blobCopy: BlobCopy | undefined;
  /**
   * Set where bulk inserts are cheapest as a binary COPY into the table (PostgreSQL,
   * `dialect/postgres-copy-in.ts`), run through `executor.stream`: no array parameters to
   * unpack, and no `ON CONFLICT` speculative insertion per row. A COPY cannot skip existing keys,
   * so `BulkInserter` runs it in a savepoint and falls back to `columnArrays` when one exists.
   */
  readonly rowCopy: RowCopy | undefined;
  /** Column types for the migrations. */
  readonly types: {
    /** Binary data: BLOB, BYTEA or LONGBLOB. */
    readonly blob: RawBuilder<unknown>;
    /** 64-bit auto-increment primary key type; add `autoIncrement()` when `autoIdModifier`. */
    readonly autoId: RawBuilder<unknown>;
    readonly autoIdModifier: boolean;
    /** Unbounded text (not indexable on MySQL: index a `varchar` instead). */
    readonly text: RawBuilder<unknown>;
    /**
     * What object id columns become (0017) where the database's default collation would compare
     * them by locale: ids are lowercase hex, so byte order is the same order, and it is what a
     * B-tree descent of every insert then compares by. Undefined: ids compare as bytes already.
     */
    readonly byteOrderedObjectId: RawBuilder<unknown> | undefined;
  };
  /**
   * Appended to CREATE TABLE. MySQL's default collations compare case-insensitively, which would
   * make `refs/heads/Main` and `refs/heads/main` one ref; git names are byte strings, so tables use
   * a binary collation there.
   */
  readonly tableOptions: RawBuilder<unknown> | undefined;
  /**
   * Appended to CREATE TABLE for tables keyed by a composite primary key and nothing else: SQLite
   * then stores the rows in the key's B-tree instead of a rowid table plus a key index (InnoDB
   * always does; PostgreSQL has no equivalent).
   */
  readonly keyOnlyTableOptions: RawBuilder<unknown> | undefined;
  /** `DROP INDEX name ON table` (MySQL) instead of `DROP INDEX name` (SQLite, PostgreSQL). */
  readonly dropIndexNeedsTable: boolean;
  /**
   * How code search finds candidate files by their trigrams (`storage/search`, docs/search.md):
   * SQLite's FTS5 `trigram` tokenizer, PostgreSQL's `pg_trgm` GIN index, or a FULLTEXT index over
   * trigram words we write ourselves (MariaDB has no n-gram parser; MySQL's works the same way).
   */
  readonly trigramIndex: 'fts5' | 'pg_trgm' | 'fulltext_words';
  /** A query returning `{ bytes }`: the current database's size on disk (benchmarks, admin pages). */
  readonly databaseSizeQuery: RawBuilder<{ bytes: number | string }>;
  /** True when the error is a unique-key violation (the portable signal for "someone else won"). */
  isUniqueViolation(error: unknown): boolean;
  /** True when the error is a transient lock conflict worth one more attempt (deadlock, busy). */
  isRetryableConflict(error: unknown): boolean;
}

function errorField(error: unknown, field: 'code' | 'errno'): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[field] : undefined;
}

const sqliteJsonIdList = (json: string) => sql<{ id: string }>`(select value as id from json_each(${json}))`;

export const SQLITE_CAPABILITIES: DialectCapabilities = {
  label: 'sqlite',
  supportsReturning: true,
  maxBindParams: 32_766,
  maxStatementBytes: 64 * 1024 * 1024,
  singleConnection: true,
  rowLocks: false,
  insertIgnore: 'on-conflict-do-nothing',
  columnArrays: undefined,
  blobCopy: undefined,
  rowCopy: undefined,
  idList: (ids) => sqliteJsonIdList(JSON.stringify(ids)),
  jsonIdList: sqliteJsonIdList,
  types: {
    blob: sql`blob`,
    // Only the exact type name INTEGER makes the column SQLite's 64-bit rowid alias.
    autoId: sql`integer`,
    autoIdModifier: false,
    text: sql`text`,
    byteOrderedObjectId: undefined,
  },
  tableOptions: undefined,
  keyOnlyTableOptions: sql`without rowid`,
  dropIndexNeedsTable: false,
  trigramIndex: 'fts5',
  databaseSizeQuery: sql`select page_count * page_size as bytes from pragma_page_count(), pragma_page_size()`,
  isUniqueViolation: (error) => {
    const code = errorField(error, 'code');
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  },
  isRetryableConflict: (error) => {
    const code = errorField(error, 'code');
    return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT';
  },
};

/**
 * A 32 KiB slice plus its COPY tuple and message framing stays below a 64 KiB socket read (so
 * node-postgres never regrows its buffer for it), and the pack stream sends pieces of 32 KiB as
 * they are, without copying them (`src/git/pack-stream.ts`).
 */
const POSTGRES_BLOB_SLICE_BYTES = 32 * 1024;

export const POSTGRES_CAPABILITIES: DialectCapabilities = {
  label: 'postgres',
  supportsReturning: true,
  maxBindParams: 65_535,
  maxStatementBytes: 64 * 1024 * 1024,
  singleConnection: false,
  rowLocks: true,
  insertIgnore: 'on-conflict-do-nothing',
  columnArrays: { arrayType: POSTGRES_ARRAY_TYPE, encode: encodePostgresArray },
  blobCopy: {
    offsets: (length) =>
      sql`generate_series(1, ${length}, ${sql.lit(POSTGRES_BLOB_SLICE_BYTES)}) as slices(at)`,
    slice: (blob, at) => sql`substring(${blob} from ${at} for ${sql.lit(POSTGRES_BLOB_SLICE_BYTES)})`,
    statement: (query) => sql`copy (${query}) to stdout (format binary)`,
  },
  rowCopy: {
    statement: (table, columns) =>
      sql`copy ${sql.table(table)} (${sql.join(columns.map((column) => sql.id(column)))}) from stdin (format binary)`,
    tuples: encodeCopyTuples,
    stream: copyStream,
    decode: decodeCopyTuples,
    mergeRuns: mergeTupleRuns,
  },
  idList: (ids) => sql`(select unnest(${encodePostgresArray('text', ids)}::text[]) as id)`,
  types: {
    blob: sql`bytea`,
    autoId: sql`bigserial`,
    autoIdModifier: false,
    text: sql`text`,
    // A database's default collation (often en_US.UTF-8 or C.UTF-8) compares through strcoll on
    // PostgreSQL 15, without the memcmp fast path "C" takes.
    byteOrderedObjectId: sql`varchar(64) collate "C"`,
  },
  tableOptions: undefined,
  keyOnlyTableOptions: undefined,
  dropIndexNeedsTable: false,
  trigramIndex: 'pg_trgm',
  databaseSizeQuery: sql`select pg_database_size(current_database()) as bytes`,
  // 23505 unique_violation; 40001 serialization_failure, 40P01 deadlock_detected.
  isUniqueViolation: (error) => errorField(error, 'code') === '23505',
  isRetryableConflict: (error) => ['40001', '40P01'].includes(String(errorField(error, 'code'))),
};

export const MYSQL_CAPABILITIES: DialectCapabilities = {
  label: 'mysql',
  supportsReturning: false,
  maxBindParams: 65_535,
  maxStatementBytes: 4 * 1024 * 1024,
  singleConnection: false,
  rowLocks: true,
  insertIgnore: 'insert-ignore',
  columnArrays: undefined,
  blobCopy: undefined,
  rowCopy: undefined,
  // MariaDB 10.6+ and MySQL 8.0.4+; ids are at most 64 characters (SHA-256 hex). The JSON goes
  // as bytes, so an INSERT of the list takes the binary protocol (`mysql-binary-inserts.ts`): the
  // server reads it as it is instead of lexing a literal of ~1.4 MB per 32k ids, and mysql2 does
  // not escape it into the SQL text.
  idList: (ids) =>
    sql`(select id from json_table(${Buffer.from(JSON.stringify(ids))}, '$[*]' columns (id varchar(64) path '$')) as ids)`,
  // Tables are utf8mb4_bin (`tableOptions`): ids compare as bytes already.
  types: {
    blob: sql`longblob`,
    autoId: sql`bigint`,
    autoIdModifier: true,
    text: sql`longtext`,
    byteOrderedObjectId: undefined,
  },
  tableOptions: sql`character set utf8mb4 collate utf8mb4_bin`,
  keyOnlyTableOptions: undefined,
  dropIndexNeedsTable: true,
  trigramIndex: 'fulltext_words',
  // Allocated bytes of the database's own tablespace files (file-per-table, MariaDB's name for
  // the view); information_schema.tables figures are estimates that lag behind big inserts.
  databaseSizeQuery: sql`select coalesce(sum(allocated_size), 0) as bytes from information_schema.innodb_sys_tablespaces where name like concat(database(), '/%')`,
  // 1062 ER_DUP_ENTRY; 1213 ER_LOCK_DEADLOCK, 1205 ER_LOCK_WAIT_TIMEOUT.
  isUniqueViolation: (error) => errorField(error, 'errno') === 1062,
  isRetryableConflict: (error) => [1213, 1205].includes(Number(errorField(error, 'errno'))),
};
