import type { ObjectType } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';

declare const storedRowBrand: unique symbol;

/**
 * Where storage keeps an object (its `raw_objects.id`) and, when known, a bound on its size
 * (`size-class.ts`), opaque to every layer above storage: a recorded clone walk keeps it beside
 * the object's id and hands it back, so storage reads the row by its key instead of by object id
 * and membership, and a `blob:limit` clone drops large blobs without asking their sizes. Only
 * storage makes or reads one. One number: the row key times 32 plus the class (classes below
 * 32), so the hints of a database below 2^26 rows are small integers V8 keeps unboxed; the
 * record's six-byte row keys (below 2^48) still fit exactly (at most 2^53 − 1).
 */
export type StoredObjectHint = number & { readonly [storedRowBrand]: true };

const SIZE_CLASSES = 32;

/** Storage's row key, and the object's size class when known, as a hint (storage only). */
export function storedObjectHint(row: number, sizeClass = 0): StoredObjectHint {
  return (row * SIZE_CLASSES + sizeClass) as StoredObjectHint;
}

/** The row key a hint names (storage only). */
export function rowOfHint(hint: StoredObjectHint): number {
  return Math.floor(hint / SIZE_CLASSES);
}

/** The size class a hint carries (0: not known; storage only). */
export function sizeClassOfHint(hint: StoredObjectHint): number {
  return hint % SIZE_CLASSES;
}

/** An object in its stored form, ready to be copied into a pack without inflating it. */
export interface PackReadyObject {
  readonly id: ObjectId;
  readonly type: ObjectType;
  /** Inflated size of the whole object. */
  readonly size: number;
  /** Inflated size of the payload: the object, or the delta when `deltaBase` is set (the pack entry header size). */
  readonly payloadSize: number;
  /** Set when the stored form is a delta against this base object. */
  readonly deltaBase?: ObjectId;
  /**
   * The zlib stream exactly as it goes into a pack entry: the bytes, or for objects stored as
   * files a function streaming them (those are never held whole in memory).
   */
  readonly deflated: Buffer | (() => AsyncIterable<Buffer>);
  /** Where storage keeps it (recorded with clone walks: a faster read back). */
  readonly hint?: StoredObjectHint;
}
