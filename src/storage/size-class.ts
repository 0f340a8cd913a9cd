/**
 * A bound on an object's inflated size in five bits, recorded with a clone walk's entries so a
 * `blob:limit` clone replaying the walk drops large blobs without reading their sizes (one
 * B-tree probe per blob: ~0.35 s of CPU for the 145k blobs of the 497k-object bench repository).
 * Powers of two: any power-of-two limit (`1k`, `1m`) is decided by the class alone.
 *
 * - 0: not known (walks recorded before classes were, objects whose row was not at hand);
 * - 1: empty;
 * - 2 to 30: at least 2^(class − 2) and below 2^(class − 1) bytes;
 * - 31: at least 2^29 bytes.
 */
export const UNKNOWN_SIZE_CLASS = 0;
const LARGEST_CLASS = 31;

/** The class of an object of `size` inflated bytes. */
export function sizeClassOf(size: number): number {
  if (size >= 2 ** (LARGEST_CLASS - 2)) return LARGEST_CLASS;
  return size <= 0 ? 1 : 33 - Math.clz32(size);
}

/**
 * Whether an object of `sizeClass` is at least `limit` bytes (what `blob:limit=<limit>` drops):
 * undefined when the class does not tell (not known, or a limit inside the class's range).
 */
export function sizeClassAtLeast(sizeClass: number, limit: number): boolean | undefined {
  if (sizeClass <= UNKNOWN_SIZE_CLASS || sizeClass > LARGEST_CLASS) return undefined;
  const lowest = sizeClass === 1 ? 0 : 2 ** (sizeClass - 2);
  const beyond = sizeClass === 1 ? 1 : sizeClass === LARGEST_CLASS ? Infinity : 2 ** (sizeClass - 1);
  if (lowest >= limit) return true;
  if (beyond <= limit) return false;
  return undefined;
}
