import type { PackSpool } from './pack-spool.js';
import type { PackedContent, PackedObject } from './pack-types.js';

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
