/**
 * Rows whose first value is a lowercase hex object id, put in id order, as a stable sort by a
 * string comparison of the ids would (equal ids keep their order). A writer sorts each batch of
 * rows so that concurrent writers of overlapping objects lock them in the same order; a sort with
 * a comparison function called per pair took ~4 % of the request's thread of an ingest
 * (docs/scale.md, "The request's thread of the ingest"). Here one numeric sort of a typed array
 * orders the rows by their ids' first 32 bits, each row's position riding in the key's low bits
 * (exact in a double), and only rows sharing those bits (a pair in ~2,000 batches of 2,000 rows)
 * are then compared whole.
 */

/** Rows ordered by their ids' first 32 bits at most (positions fit in 16 bits). */
const POSITIONS = 65_536;

type RowWithId = readonly [string, ...unknown[]];

/** `rows` in id order (a new array); the positions they had, in the same order, in `positions`. */
export function rowsById<Row extends RowWithId>(
  rows: readonly Row[],
): { rows: Row[]; positions: Int32Array } {
  const positions = idOrder(rows);
  const sorted = new Array<Row>(rows.length);
  for (let at = 0; at < positions.length; at++) sorted[at] = rows[positions[at]!]!;
  return { rows: sorted, positions };
}

/** The positions of `rows` in id order. */
function idOrder(rows: readonly RowWithId[]): Int32Array {
  const count = rows.length;
  const order = new Int32Array(count);
  const byWholeId = (a: number, b: number) => compareIds(rows[a]![0], rows[b]![0]) || a - b;
  if (count > POSITIONS) {
    for (let at = 0; at < count; at++) order[at] = at;
    return order.sort(byWholeId);
  }
  const keys = new Float64Array(count);
  for (let at = 0; at < count; at++) keys[at] = hexPrefix(rows[at]![0]) * POSITIONS + at;
  keys.sort();
  for (let at = 0; at < count; at++) order[at] = keys[at]! % POSITIONS;
  // A key less its position is its id's prefix (times POSITIONS): runs of equal prefixes are
  // ordered by their whole ids.
  for (let start = 0; start < count;) {
    const prefix = keys[start]! - order[start]!;
    let end = start + 1;
    while (end < count && keys[end]! - order[end]! === prefix) end++;
    if (end - start > 1) order.subarray(start, end).sort(byWholeId);
    start = end;
  }
  return order;
}

/** The first 32 bits of a lowercase hex id (its first eight digits), as a number. */
function hexPrefix(id: string): number {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const code = id.charCodeAt(i);
    value = value * 16 + (code <= 57 ? code - 48 : code - 87);
  }
  return value;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
