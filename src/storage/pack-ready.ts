import type { ObjectType } from '../git/object.js';
import type { ObjectId } from '../git/object-id.js';

declare const storedRowBrand: unique symbol;

/**
 * Where storage keeps an object (its `raw_objects.id`), opaque to every layer above storage: a
 * recorded clone walk keeps it beside the object's id and hands it back, so storage reads the row
 * by its key instead of by object id and membership. Only storage makes or reads one.
 */
export type StoredObjectHint = number & { readonly [storedRowBrand]: true };

/** Storage's row key as a hint (storage only). */
export function storedObjectHint(row: number): StoredObjectHint {
  return row as StoredObjectHint;
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
