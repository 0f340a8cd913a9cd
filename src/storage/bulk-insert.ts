import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './database.js';
import type { DialectCapabilities } from './dialect/capabilities.js';
import { insertIgnore } from './insert-ignore.js';
import { batchRows } from './sql-batches.js';

/**
 * Multi-row "insert unless present" for hot paths (ingest writes tens of thousands of rows).
 * Building a Kysely query per batch allocates a node per value; instead the SQL text for a given
 * row count is compiled once by Kysely (so quoting and placeholders stay the dialect's) and
 * reused with the flat parameter list.
 */
export class BulkInserter<T extends keyof Database & string> {
  private readonly statements = new Map<number, string>();

  constructor(
    private readonly capabilities: DialectCapabilities,
    private readonly table: T,
    private readonly columns: ReadonlyArray<keyof Database[T] & string>,
    private readonly bytesOf: (row: Database[T]) => number = () => 0,
  ) {}

  /**
   * Inserts `rows`, skipping existing keys. With `runPreparedBatch` (SQLite) each row runs through
   * one cached single-row prepared statement, cheaper than compiling a multi-row one per batch.
   */
  async insertIgnore(
    db: Kysely<Database>,
    rows: readonly Database[T][],
    runPreparedBatch?: (statement: string, parameterRows: readonly unknown[][]) => void,
  ): Promise<void> {
    if (runPreparedBatch && db.isTransaction) {
      runPreparedBatch(
        this.statementFor(db, 1),
        rows.map((row) => this.columns.map((column) => row[column])),
      );
      return;
    }
    for (const batch of batchRows(rows, this.capabilities, this.columns.length, this.bytesOf)) {
      const parameters: unknown[] = [];
      for (const row of batch) {
        for (const column of this.columns) parameters.push(row[column]);
      }
      await db.executeQuery(CompiledQuery.raw(this.statementFor(db, batch.length), parameters));
    }
  }

  private statementFor(db: Kysely<Database>, rowCount: number): string {
    let statement = this.statements.get(rowCount);
    if (statement === undefined) {
      const placeholderRow = Object.fromEntries(this.columns.map((column) => [column, null]));
      const rows = Array.from({ length: rowCount }, () => placeholderRow);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- shape is checked by the class type
      const query = insertIgnore(db.insertInto(this.table).values(rows as any), this.capabilities);
      statement = query.compile().sql;
      this.statements.set(rowCount, statement);
    }
    return statement;
  }
}
