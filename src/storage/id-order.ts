/**
 * Putting things in object id order (the order of the ids' hex forms) with one numeric sort of a
 * typed array instead of a comparison function called per pair, which took ~4 % of the request's
 * thread of an ingest (docs/scale.md, "The request's thread of the ingest"). Each key is an id's
 * first 32 bits times `POSITIONS` plus its position, exact in a double (below 2^53); only
 * positions whose ids share those bits (a pair in ~2,000 batches of 2,000) are compared whole.
 */

/** Positions below this ride in a key beside an id's first 32 bits. */
const POSITIONS = 2 ** 21;

/**
 * The positions 0 … `count` - 1 in the order of the ids at them, equal ids in position order (a
 * stable sort). `prefixAt(at)` is the first 32 bits of the id at `at`, as a number;
 * `compareAt(a, b)` compares the whole ids at two positions.
 */
export function positionsInIdOrder(
  count: number,
  prefixAt: (at: number) => number,
  compareAt: (a: number, b: number) => number,
): Int32Array {
  const order = new Int32Array(count);
  const byWholeId = (a: number, b: number) => compareAt(a, b) || a - b;
  if (count >= POSITIONS) {
    for (let at = 0; at < count; at++) order[at] = at;
    return order.sort(byWholeId);
  }
  const keys = new Float64Array(count);
  for (let at = 0; at < count; at++) keys[at] = prefixAt(at) * POSITIONS + at;
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
