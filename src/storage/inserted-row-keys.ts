/**
 * The row keys one multi-row `INSERT … ON CONFLICT DO NOTHING` gave the rows it inserted, from what
 * SQLite tells of the statement (`changes()`, `last_insert_rowid()`), so a write that needs each
 * row's key (a first push's clone walks) need not insert one row a statement.
 *
 * SQLite gives a new row of a rowid table the largest rowid in the table plus one (with
 * AUTOINCREMENT, at least one more than the largest ever used), inserting a VALUES list's rows in
 * order, and only one connection writes at a time. So every row a statement inserts gets a key
 * above every key stored before it, each key above the one before:
 * - all rows inserted: their keys are consecutive and end at the last insert's;
 * - some inserted: a row skipped as stored (before, or earlier in the same statement) may have
 *   used up a key under AUTOINCREMENT, so the keys are looked up by the rows' unique values; the
 *   inserted rows hold the `changes` largest of them, and of rows sharing a key (one object twice
 *   in a statement) the first is the one inserted, as with a statement per row.
 * The one exception, a table whose largest rowid is 2^63 - 1 (SQLite then picks free keys at
 * random), is out of reach: keys past 2^53 are not exact as JavaScript numbers either.
 */

/**
 * Tells `told` the key of each of `rows` rows the statement inserted, by its position among them.
 * `changes` and `lastRowKey` are the statement's; `storedKeyOf` looks up the key of the stored row
 * with the same unique value as a row of the statement (asked only when it skipped some rows but
 * not all).
 */
export function tellInsertedRowKeys(
  rows: number,
  changes: number,
  lastRowKey: number,
  storedKeyOf: (row: number) => number | undefined,
  told: (row: number, rowKey: number) => void,
): void {
  if (changes === 0) return;
  if (changes === rows) {
    const first = lastRowKey - rows + 1;
    for (let row = 0; row < rows; row++) told(row, first + row);
    return;
  }
  const keys = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    const key = storedKeyOf(row);
    if (key === undefined) throw new Error(`row ${row} of an insert is not stored after it`);
    keys[row] = key;
  }
  const descending = Float64Array.from(new Set(keys)).sort().reverse();
  const least = descending[changes - 1];
  // The last row inserted holds the largest key; fewer distinct keys than inserted rows cannot be.
  if (descending[0] !== lastRowKey || least === undefined)
    throw new Error(`an insert's ${changes} rows do not end at key ${lastRowKey}`);
  const toldKeys = new Set<number>();
  for (let row = 0; row < rows; row++) {
    const key = keys[row]!;
    if (key < least || toldKeys.has(key)) continue;
    toldKeys.add(key);
    told(row, key);
  }
}
