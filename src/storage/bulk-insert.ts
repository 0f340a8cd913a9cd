import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import type { ColumnKind, DialectCapabilities } from './dialect/capabilities.js';
import { insertIgnore } from './insert-ignore.js';
import type { PreparedBatchRunner } from './open-database.js';
import { batchRows } from './sql-batches.js';

/** The columns a bulk insert writes, in order, with the kind of value each holds. */
export type BulkColumns<T extends keyof Database> = Readonly<
  Partial<Record<keyof Database[T] & string, ColumnKind>>
>;

/** One row of a bulk insert: its values in the order of the inserter's columns. */
export type BulkRow = readonly unknown[];

/** One call's rows held for a COPY: their encoded tuples, in pieces off the JS heap. */
interface HeldRows {
  readonly pieces: Buffer[];
  readonly rows: number;
  readonly bytes: number;
}

/**
 * Binary COPYs one inserter runs in savepoints. Every savepoint that wrote rows is a
 * subtransaction of the ingest until it commits, and past 64 of them PostgreSQL's snapshots of
 * other sessions overflow their subtransaction cache (visibility checks then read pg_subtrans):
 * an ingest's inserters (objects, commits, membership) stay below that together.
 */
const COPIES_PER_INSERTER = 20;
/**
 * Fewer rows than this go as one insert: a COPY in a savepoint takes three statements, which a
 * handful of rows (a merge's objects, a web edit's) does not pay back.
 */
const MIN_ROWS_TO_COPY = 100;
/**
 * Rows `add` holds (encoded) for one COPY: the first COPY of an inserter carries up to
 * `FIRST_COPY_ROWS`, each next one twice as many up to `MAX_COPY_ROWS`, and at most
 * `MAX_COPY_BYTES` of tuples. The COPYs are few (`COPIES_PER_INSERTER`), so each must carry many
 * batches for a push of 500k objects to go by COPY throughout; the first stays small, so a push
 * whose objects are stored already (a fork's) falls back after little work.
 */
const FIRST_COPY_ROWS = 2000;
const MAX_COPY_ROWS = 32_000;
const MAX_COPY_BYTES = 16 * 1024 * 1024;

/**
 * Rows per statement on the prepared path when no row keys are asked for (`runPrepared`): at most
 * 1,280 parameters for the widest table written so (commits, ten columns).
 */
const PREPARED_ROWS = 128;

/** Puts the values of `count` rows from `start`, in order, into `values` (one statement's parameters). */
function fillValues(values: unknown[], rows: readonly BulkRow[], start: number, count: number): void {
  const width = values.length / count;
  let next = 0;
  for (let at = start; at < start + count; at++) {
    const row = rows[at]!;
    if (row.length !== width) throw new TypeError(`a row of ${row.length} values for ${width} columns`);
    for (let column = 0; column < width; column++) values[next++] = row[column];
  }
}

/**
 * Multi-row "insert unless present" for hot paths (ingest writes tens of thousands of rows).
 * Rows are value arrays in column order, which is also how every driver takes parameters, so no
 * object is built per row and none is taken apart again. Building a Kysely query per batch
 * allocates a node per value; instead the SQL text is compiled once by Kysely (so quoting and
 * placeholders stay the dialect's) and reused with new parameters: one array per column where the
 * dialect has `columnArrays` (PostgreSQL), else one parameter per value in a multi-row VALUES list
 * of the batch's row count.
 *
 * Where the dialect has `rowCopy` (PostgreSQL) and the caller is in a transaction, rows go by a
 * binary COPY first, which inserts without `ON CONFLICT`'s speculative insertion per row. A COPY
 * fails on a key that exists, so it runs in a savepoint: on a unique violation (the rows were
 * stored before, or by a racing push, whose commit the COPY waited for like any insert of the
 * same key) it is rolled back to the savepoint and the batch goes as an insert that skips existing
 * keys; so do all later batches of this inserter (an inserter serves one write, where the first
 * batch with stored rows says more will come).
 */
export class BulkInserter<T extends keyof Database & string> {
  private readonly statements = new Map<number, string>();
  private readonly names: ReadonlyArray<keyof Database[T] & string>;
  private readonly kinds: readonly ColumnKind[];
  /** COPYs left to this inserter (see `COPIES_PER_INSERTER`); 0 after one met an existing key. */
  private copiesLeft = COPIES_PER_INSERTER;
  /** Rows held for the next COPYs: per call, its pieces of encoded tuples (off the JS heap). */
  private held: HeldRows[] = [];
  private heldRows = 0;
  private heldBytes = 0;
  /** Rows the next COPY waits for (see `FIRST_COPY_ROWS`). */
  private copyRows = FIRST_COPY_ROWS;

  /**
   * `expectedRows`, when the write knows about how many rows it brings (a pack's declared object
   * count): every COPY after the first carries an equal share of them within the COPY budget,
   * instead of twice the last one's. The rows held when the last batch arrives are then at most
   * one such share, where doubling left up to half of them for the ingest's tail.
   */
  constructor(
    private readonly capabilities: DialectCapabilities,
    private readonly table: T,
    columns: BulkColumns<T>,
    private readonly bytesOf: (row: BulkRow) => number = () => 0,
    private readonly minRowsToCopy = MIN_ROWS_TO_COPY,
    private readonly expectedRows?: number,
  ) {
    const entries = Object.entries(columns) as Array<[keyof Database[T] & string, ColumnKind]>;
    this.names = entries.map(([name]) => name);
    this.kinds = entries.map(([, kind]) => kind);
  }

  /**
   * Inserts `rows`, skipping existing keys. With `runPreparedBatch` (SQLite) they go through cached
   * prepared statements of many rows (`runPrepared`); `inserted` then hears each inserted row's
   * key by its index, and is told nothing on the other paths.
   */
  async insertIgnore(
    db: Kysely<Database>,
    rows: readonly BulkRow[],
    runPreparedBatch?: PreparedBatchRunner,
    inserted?: (index: number, rowKey: number) => void,
  ): Promise<void> {
    if (rows.length === 0) return;
    if (runPreparedBatch && db.isTransaction) {
      this.runPrepared(db, rows, runPreparedBatch, inserted);
      return;
    }
    if (this.willCopy(db) && rows.length >= this.minRowsToCopy) {
      this.copiesLeft--;
      if (await this.copyUnlessStored(db, this.capabilities.rowCopy!.tuples(this.kinds, rows))) return;
      this.copiesLeft = 0;
    }
    await this.insertRows(db, rows);
  }

  /**
   * The prepared path (SQLite): the rows go `PREPARED_ROWS` a statement, the rest in statements of
   * halving sizes (so at most eight statements are prepared per inserter): one call, one bind of an
   * array and one result object per statement instead of per row, the same rows inserted or
   * skipped in the same order (the bench pack's object rows: ~15 % less CPU, docs/scale.md, "The
   * request's thread of the ingest"). Told row keys, each statement's come from what SQLite tells
   * of it, looked up by the first column only where it skipped some rows (`tellInsertedRowKeys`).
   */
  private runPrepared(
    db: Kysely<Database>,
    rows: readonly BulkRow[],
    runPreparedBatch: PreparedBatchRunner,
    inserted: ((index: number, rowKey: number) => void) | undefined,
  ): void {
    const keyQuery = inserted && this.keyQuery(db);
    let start = 0;
    for (let size = PREPARED_ROWS; size >= 1; size >>= 1) {
      if (rows.length - start < size) continue;
      const statement = this.valuesStatement(db, size);
      // One array of parameters per size, refilled: the runner binds it before it returns.
      const values = new Array<unknown>(size * this.names.length);
      const parameterRows = [values];
      for (; rows.length - start >= size; start += size) {
        fillValues(values, rows, start, size);
        const first = start;
        runPreparedBatch(
          statement,
          parameterRows,
          keyQuery === undefined
            ? undefined
            : { rowsPerStatement: size, keyQuery, told: (index, rowKey) => inserted!(first + index, rowKey) },
        );
      }
    }
  }

  /** SQLite's key of a stored row by the inserter's first column (unique): see `InsertedRowKeys`. */
  private keyQuery(db: Kysely<Database>): string {
    return sql`select rowid from ${sql.table(this.table)} where ${sql.ref(this.names[0]!)} = ${null}`.compile(
      db,
    ).sql;
  }

  /**
   * Inserts `rowCount` rows given as encoded COPY tuples (the dialect must have `rowCopy`), like
   * `insertIgnore`: by a COPY where one would go, else (or when one of them is stored) by
   * statements that skip existing keys, a piece at a time. `tuples` is called again for that, so
   * its pieces may be made as they are sent and never be held all at once.
   */
  async insertTuples(db: Kysely<Database>, rowCount: number, tuples: () => Iterable<Buffer>): Promise<void> {
    if (rowCount === 0) return;
    if (this.willCopy(db) && rowCount >= this.minRowsToCopy) {
      this.copiesLeft--;
      if (await this.copyUnlessStored(db, tuples())) return;
      this.copiesLeft = 0;
    }
    for (const piece of tuples())
      await this.insertRows(db, this.capabilities.rowCopy!.decode(this.kinds, [piece]));
  }

  /**
   * Inserts rows given as one parameter of the inserter's one-row statement that carries them all
   * (MariaDB's `EncodedBulkRows`, sent as one bulk execute), skipping existing keys.
   */
  async insertEncoded(db: Kysely<Database>, rows: unknown): Promise<void> {
    await db.executeQuery(CompiledQuery.raw(this.valuesStatement(db, 1), [rows]));
  }

  /** Inserts `rows` by statements that skip existing keys (no COPY). */
  private async insertRows(db: Kysely<Database>, rows: readonly BulkRow[]): Promise<void> {
    const arrays = this.capabilities.columnArrays;
    // Column arrays add no parameters per row: only the statement size bounds a batch.
    const parametersPerRow = arrays ? 0 : this.names.length;
    for (const batch of batchRows(rows, this.capabilities, parametersPerRow, this.bytesOf)) {
      const parameters: unknown[] = [];
      if (arrays) {
        for (let column = 0; column < this.kinds.length; column++) {
          parameters.push(
            arrays.encode(
              this.kinds[column]!,
              batch.map((row) => row[column]),
            ),
          );
        }
      } else {
        for (const row of batch) for (const value of row) parameters.push(value);
      }
      const statement = arrays ? this.arraysStatement(db) : this.valuesStatement(db, batch.length);
      await db.executeQuery(CompiledQuery.raw(statement, parameters));
    }
  }

  /**
   * Inserts `rows` like `insertIgnore`, except that where they would go by COPY they may be held,
   * encoded, for one COPY with later batches (see `FIRST_COPY_ROWS`): they are stored when a later
   * `add` or `flush` resolves. Held as COPY tuples, they cost no JS objects while they wait (a
   * batch's row arrays die young) and are sent as they are. The caller must `flush` before it
   * relies on the rows (reads them, commits). Each call's rows must be ordered by their first
   * column (as bytes: ids in hex): the COPY sends the held calls' rows merged in that order
   * (`RowCopy.mergeRuns`), so the server's unique index takes them in one sweep.
   */
  async add(
    db: Kysely<Database>,
    rows: readonly BulkRow[],
    runPreparedBatch?: PreparedBatchRunner,
    inserted?: (index: number, rowKey: number) => void,
  ): Promise<void> {
    if (rows.length === 0) return;
    if (!this.willCopy(db) || (runPreparedBatch && db.isTransaction)) {
      await this.insertIgnore(db, rows, runPreparedBatch, inserted);
      return;
    }
    this.hold(rows);
    if (this.copyReady) await this.flush(db);
  }

  /**
   * Encodes `rows` as COPY tuples and holds them for a later `copyHeld` or `flush`, without a
   * statement (the dialect must have `rowCopy`): a writer can keep taking batches while the
   * server consumes an earlier COPY. Each call's rows must be ordered by their first column, as
   * for `add`.
   */
  hold(rows: readonly BulkRow[]): void {
    if (rows.length === 0) return;
    this.holdTuples([...this.capabilities.rowCopy!.tuples(this.kinds, rows)], rows.length);
  }

  /**
   * `hold` for `rows` rows given as their COPY tuples (`pieces`, as `RowCopy.tuples` makes them,
   * ordered by their first column), encoded by the caller.
   */
  holdTuples(pieces: Buffer[], rows: number): void {
    if (rows === 0) return;
    let bytes = 0;
    for (const piece of pieces) bytes += piece.length;
    this.held.push({ pieces, rows, bytes });
    this.heldBytes += bytes;
    this.heldRows += rows;
  }

  /** Whether the held rows fill the next COPY (`copyHeld` would send one). */
  get copyReady(): boolean {
    return this.heldRows >= this.copyRows || this.heldBytes >= MAX_COPY_BYTES;
  }

  /** Whether the held rows fill two COPYs: a writer holding them waits for the server first. */
  get holdsTwoCopies(): boolean {
    return this.heldRows >= 2 * this.copyRows || this.heldBytes >= 2 * MAX_COPY_BYTES;
  }

  /**
   * When the held rows fill the next COPY (`copyReady`), stores them by one: all of them, up to
   * `MAX_COPY_ROWS` and `MAX_COPY_BYTES` (at least one call; the rest stay held). A COPY never
   * carries fewer rows than the schedule's, so the budget of COPYs lasts as long; more rows in one
   * COPY are one sweep over the unique index instead of several.
   */
  async copyHeld(db: Kysely<Database>): Promise<void> {
    if (!this.copyReady) return;
    let { rows, bytes } = this.held[0]!;
    let calls = 1;
    for (; calls < this.held.length; calls++) {
      const next = this.held[calls]!;
      if (rows + next.rows > MAX_COPY_ROWS || bytes + next.bytes > MAX_COPY_BYTES) break;
      rows += next.rows;
      bytes += next.bytes;
    }
    await this.send(db, this.takeHeld(calls));
  }

  /** Stores all the rows `add` or `hold` holds. */
  async flush(db: Kysely<Database>): Promise<void> {
    if (this.heldRows === 0) return;
    await this.send(db, this.takeHeld(this.held.length));
  }

  /** The first `calls` held calls, no longer held. */
  private takeHeld(calls: number): HeldRows[] {
    const taken = this.held.splice(0, calls);
    for (const call of taken) {
      this.heldRows -= call.rows;
      this.heldBytes -= call.bytes;
    }
    return taken;
  }

  /** Stores held calls by one COPY of their rows merged in key order, or by inserts. */
  private async send(db: Kysely<Database>, calls: readonly HeldRows[]): Promise<void> {
    let rows = 0;
    for (const call of calls) rows += call.rows;
    // The calls' pieces are copied in key order; nothing keeps them past the merge.
    const tuples = this.capabilities.rowCopy!.mergeRuns(calls.map((call) => call.pieces));
    if (rows >= this.minRowsToCopy && this.willCopy(db)) {
      this.copiesLeft--;
      this.copyRows = this.nextCopyRows();
      if (await this.copyUnlessStored(db, tuples)) return;
      this.copiesLeft = 0;
    }
    await this.insertRows(db, this.capabilities.rowCopy!.decode(this.kinds, tuples));
  }

  /** Rows of the COPY after the one just sent (see `FIRST_COPY_ROWS`, `expectedRows`). */
  private nextCopyRows(): number {
    const share =
      this.expectedRows === undefined
        ? this.copyRows * 2
        : Math.ceil(this.expectedRows / (COPIES_PER_INSERTER - 2));
    return Math.min(Math.max(share, FIRST_COPY_ROWS), MAX_COPY_ROWS);
  }

  /**
   * Whether a batch of at least `minRowsToCopy` rows would go by COPY now: the dialect has one,
   * `db` is a transaction (for the savepoint), and no COPY of this inserter met a stored key or
   * used up the budget.
   */
  willCopy(db: Kysely<Database>): boolean {
    return this.capabilities.rowCopy !== undefined && db.isTransaction && this.copiesLeft > 0;
  }

  /**
   * Copies rows (their encoded tuples) in a savepoint; false, with nothing written, when one of
   * their keys exists.
   */
  private async copyUnlessStored(db: Kysely<Database>, tuples: Iterable<Buffer>): Promise<boolean> {
    const copy = this.capabilities.rowCopy!;
    const statement = copy.statement(this.table, this.names).compile(db);
    const data = copy.stream(tuples);
    await sql`savepoint bulk_copy`.execute(db);
    try {
      // A COPY from us yields no rows; the stream ends when the server has taken them.
      const copying = db.getExecutor().stream(CompiledQuery.raw(statement.sql, [data]), 1);
      while (!(await copying.next()).done);
    } catch (error) {
      if (!this.capabilities.isUniqueViolation(error)) throw error;
      await sql`rollback to savepoint bulk_copy`.execute(db);
      await sql`release savepoint bulk_copy`.execute(db);
      return false;
    }
    await sql`release savepoint bulk_copy`.execute(db);
    return true;
  }

  /**
   * The multi-row `INSERT … VALUES` for `rowCount` rows. Kysely compiles the one-row statement;
   * where its placeholders are `?` (MySQL, SQLite) the others are that statement with its tuple
   * repeated, as Kysely writes them: compiling a 2,000-row statement builds a node per value
   * (~25 ms per inserter on MariaDB), and a write's commit batches come in many sizes.
   */
  valuesStatement(db: Kysely<Database>, rowCount: number): string {
    let statement = this.statements.get(rowCount);
    if (statement === undefined) {
      if (rowCount === 1) {
        statement = this.compileValuesStatement(db, 1);
      } else {
        const single = this.valuesStatement(db, 1);
        const tuple = `(${this.names.map(() => '?').join(', ')})`;
        const at = single.indexOf(tuple);
        statement =
          at >= 0 && at === single.lastIndexOf(tuple)
            ? single.slice(0, at) +
              Array.from({ length: rowCount }, () => tuple).join(', ') +
              single.slice(at + tuple.length)
            : this.compileValuesStatement(db, rowCount);
      }
      this.statements.set(rowCount, statement);
    }
    return statement;
  }

  private compileValuesStatement(db: Kysely<Database>, rowCount: number): string {
    const placeholderRow = Object.fromEntries(this.names.map((column) => [column, null]));
    const rows = Array.from({ length: rowCount }, () => placeholderRow);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- shape is checked by the class type
    const query = insertIgnore(db.insertInto(this.table).values(rows as any), this.capabilities);
    return query.compile().sql;
  }

  /** `INSERT … SELECT unnest($1::t1[]), unnest($2::t2[]), …`: the arrays advance in lockstep. */
  private arraysStatement(db: Kysely<Database>): string {
    const key = 0;
    let statement = this.statements.get(key);
    if (statement === undefined) {
      const arrayType = this.capabilities.columnArrays!.arrayType;
      const unnests = this.kinds.map((kind) => sql`unnest(${null}::${sql.raw(arrayType[kind])})`);
      const query = db
        .insertInto(this.table)
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- names are columns of T
        .columns(this.names as any)
        .expression(sql`select ${sql.join(unnests)}`);
      statement = insertIgnore(query, this.capabilities).compile().sql;
      this.statements.set(key, statement);
    }
    return statement;
  }
}
