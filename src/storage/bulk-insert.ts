import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import type { ColumnKind, DialectCapabilities } from './dialect/capabilities.js';
import { insertIgnore } from './insert-ignore.js';
import { batchRows } from './sql-batches.js';

/** The columns a bulk insert writes, in order, with the kind of value each holds. */
export type BulkColumns<T extends keyof Database> = Readonly<
  Partial<Record<keyof Database[T] & string, ColumnKind>>
>;

/** One row of a bulk insert: its values in the order of the inserter's columns. */
export type BulkRow = readonly unknown[];

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

  constructor(
    private readonly capabilities: DialectCapabilities,
    private readonly table: T,
    columns: BulkColumns<T>,
    private readonly bytesOf: (row: BulkRow) => number = () => 0,
    private readonly minRowsToCopy = MIN_ROWS_TO_COPY,
  ) {
    const entries = Object.entries(columns) as Array<[keyof Database[T] & string, ColumnKind]>;
    this.names = entries.map(([name]) => name);
    this.kinds = entries.map(([, kind]) => kind);
  }

  /**
   * Inserts `rows`, skipping existing keys. With `runPreparedBatch` (SQLite) each row runs through
   * one cached single-row prepared statement, cheaper than compiling a multi-row one per batch.
   */
  async insertIgnore(
    db: Kysely<Database>,
    rows: readonly BulkRow[],
    runPreparedBatch?: (statement: string, parameterRows: readonly BulkRow[]) => void,
  ): Promise<void> {
    if (rows.length === 0) return;
    if (runPreparedBatch && db.isTransaction) {
      runPreparedBatch(this.valuesStatement(db, 1), rows);
      return;
    }
    if (this.willCopy(db) && rows.length >= this.minRowsToCopy) {
      this.copiesLeft--;
      if (await this.copyUnlessStored(db, rows)) return;
      this.copiesLeft = 0;
    }
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
   * Whether a batch of at least `minRowsToCopy` rows would go by COPY now: the dialect has one,
   * `db` is a transaction (for the savepoint), and no COPY of this inserter met a stored key or
   * used up the budget. A caller that can choose its batch size makes COPY batches big, since
   * their number is bounded and rows past it go by the slower insert.
   */
  willCopy(db: Kysely<Database>): boolean {
    return this.capabilities.rowCopy !== undefined && db.isTransaction && this.copiesLeft > 0;
  }

  /** Copies `rows` in a savepoint; false, with nothing written, when one of their keys exists. */
  private async copyUnlessStored(db: Kysely<Database>, rows: readonly BulkRow[]): Promise<boolean> {
    const copy = this.capabilities.rowCopy!;
    const statement = copy.statement(this.table, this.names).compile(db);
    const data = copy.encode(this.kinds, rows);
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

  private valuesStatement(db: Kysely<Database>, rowCount: number): string {
    let statement = this.statements.get(rowCount);
    if (statement === undefined) {
      const placeholderRow = Object.fromEntries(this.names.map((column) => [column, null]));
      const rows = Array.from({ length: rowCount }, () => placeholderRow);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- shape is checked by the class type
      const query = insertIgnore(db.insertInto(this.table).values(rows as any), this.capabilities);
      statement = query.compile().sql;
      this.statements.set(rowCount, statement);
    }
    return statement;
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
