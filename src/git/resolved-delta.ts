import type { ObjectId } from './object-id.js';
import type { ScannedEntry } from './pack-scanner.js';
import type { PackSpool } from './pack-spool.js';
import type { PackedContent, PackedObject } from './pack-types.js';

/**
 * What both delta resolvers (this thread's and the worker threads') report for a delta: the
 * entry's pack facts, with type and depth from its base.
 */
export function resolvedDelta(
  entry: ScannedEntry,
  base: { readonly id: ObjectId; readonly type: PackedObject['type']; readonly depth: number },
  id: ObjectId,
  size: number,
): PackedObject {
  return {
    id,
    type: base.type,
    size,
    offset: entry.offset,
    crc32: entry.crc32,
    headerLength: entry.headerLength,
    compressedLength: entry.compressedLength,
    deltaBase: base.id,
    deltaSize: entry.declaredSize,
    depth: base.depth + 1,
  };
}

/**
 * Hands a resolved delta to `onObject` with its zlib stream read back from the spool. Returns a
 * promise only when the spool or the callback does, so synchronous ones cost no microtask.
 */
export function reportDelta(
  spool: PackSpool,
  onObject: (object: PackedObject, content: PackedContent) => void | Promise<void>,
  object: PackedObject,
  data: Buffer,
): void | Promise<void> {
  const read = spool.read(object.offset + object.headerLength, object.compressedLength);
  if (read instanceof Promise) return read.then((raw) => onObject(object, { data, raw }));
  return onObject(object, { data, raw: read });
}
