import { EncodedBulkRows, TYPE_LONGLONG, TYPE_VAR_STRING } from './dialect/mysql-bulk-execute.js';
import { INTEGER_BYTES, textByteLength, textValueBytes, writeInteger, writeText } from './bulk-row-values.js';

/**
 * A `commit` row as the object writer buffers it (its `COMMIT_COLUMNS`' values, in order):
 * git_id, tree, pid, author, committer, content, author_time, commit_time, created_at, updated_at.
 */
export type CommitRowValues = readonly [
  string,
  string,
  string,
  string,
  string,
  string,
  number,
  number,
  string,
  string,
];

const S = TYPE_VAR_STRING;
const I = TYPE_LONGLONG;
/** The columns' types, as `encodeBulkExecutePacket` picks them for these rows. */
const COMMIT_BULK_TYPES = Uint8Array.of(S, S, S, S, S, S, I, I, S, S);
/** Where the two integers sit in a row; every other value is a string. */
const AUTHOR_TIME = 6;
const COMMIT_TIME = 7;
const WIDTH = 10;
const STRINGS_PER_ROW = 8;

/**
 * The `commit` rows as the rows of a bulk execute (`EncodedBulkRows`), the bytes
 * `encodeBulkExecutePacket` makes of them, by one size pass and one write pass over the rows: the
 * generic encoder flattens them into parameters, finds every column's type and writes each value
 * through a switch (docs/scale.md, "MariaDB's commit rows as bytes"). Ids and dates are short
 * ASCII; a commit's tree, parents, idents and message may be any text, so every string is measured
 * as UTF-8 (`textByteLength`) and each byte length is kept for the write.
 */
export function commitBulkRows(rows: readonly CommitRowValues[]): EncodedBulkRows {
  const lengths = new Int32Array(rows.length * STRINGS_PER_ROW);
  let size = 0;
  let next = 0;
  for (const row of rows) {
    size += 2 * INTEGER_BYTES;
    for (let column = 0; column < WIDTH; column++) {
      if (column === AUTHOR_TIME || column === COMMIT_TIME) continue;
      const length = textByteLength(row[column] as string);
      lengths[next++] = length;
      size += textValueBytes(length);
    }
  }
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  next = 0;
  for (const row of rows) {
    for (let column = 0; column < WIDTH; column++) {
      if (column === AUTHOR_TIME || column === COMMIT_TIME)
        at = writeInteger(body, at, row[column] as number);
      else at = writeText(body, at, row[column] as string, lengths[next++]!);
    }
  }
  return new EncodedBulkRows(COMMIT_BULK_TYPES, body, () => rows.flat());
}
