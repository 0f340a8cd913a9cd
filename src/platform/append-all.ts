/**
 * Appends every item of `items` to `target`, in order, and returns `target`.
 *
 * `target.push(...items)` passes each item as a call argument, on the stack: a few hundred
 * thousand items (the trees of a large repository) throw `RangeError: Maximum call stack size
 * exceeded`. This loop has no such limit. The lint rule against spread arguments
 * (eslint.config.js) points here.
 */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

/** The largest of `values`, or `empty` when there are none; no spread, so any length works. */
export function largestOf(values: Iterable<number>, empty: number): number {
  let largest: number | undefined;
  for (const value of values) if (largest === undefined || value > largest) largest = value;
  return largest ?? empty;
}
