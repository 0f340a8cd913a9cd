/**
 * Rows whose first value is a lowercase hex object id, put in id order, as a stable sort by a
 * string comparison of the ids would (equal ids keep their order). A writer sorts each batch of
 * rows so that concurrent writers of overlapping objects lock them in the same order; a sort with
 * a comparison function called per pair took ~4 % of the request's thread of an ingest
 * (docs/scale.md, "The request's thread of the ingest"): `positionsInIdOrder` sorts them by
 * one numeric sort instead.
 */
import { positionsInIdOrder } from './id-order.js';

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
  return positionsInIdOrder(
    rows.length,
    (at) => hexPrefix(rows[at]![0]),
    (a, b) => compareIds(rows[a]![0], rows[b]![0]),
  );
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
