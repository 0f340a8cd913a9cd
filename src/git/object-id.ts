import { invalid } from '../platform/errors.js';
import { SHA1, type ObjectFormat } from './object-format.js';

/**
 * A git object name as lowercase hex (40 characters for SHA-1, 64 for SHA-256). The brand keeps
 * unvalidated strings out; create one with `parseObjectId` or `isObjectId` (input), or with the
 * constructors below for hex that is well formed by construction. Storage's `storedId` brands ids
 * read back from the database. Nothing else casts to `ObjectId`.
 */
export type ObjectId = string & { readonly __brand: 'ObjectId' };

/** The one unchecked conversion of this file: each caller below says why its hex is an id. */
function brand(hex: string): ObjectId {
  return hex as ObjectId;
}

/** The hex digest of an object hash (`hashObject`, a streamed hasher): an id by definition. */
export function objectIdFromDigest(hexDigest: string): ObjectId {
  return brand(hexDigest);
}

/**
 * An id named in a commit or tag header (`tree`, `parent`, `object`). Not validated here, to
 * keep parsing cheap and lenient as git's is: `fsck-commit.ts` checks the form on receive
 * (`badTreeSha1`, `badParentSha1`, `badObjectSha1`), and a malformed one is simply not found.
 */
export function headerObjectId(value: string): ObjectId {
  return brand(value);
}

const LOWER_HEX = /^[0-9a-f]+$/;

/** True if `value` is a lowercase hex id of the format's length. */
export function isObjectId(value: string, format: ObjectFormat = SHA1): value is ObjectId {
  return value.length === format.hexLength && LOWER_HEX.test(value);
}

/** Validates a hex id (upper case is accepted and lowered); throws `invalid_object_id`. */
export function parseObjectId(value: string, format: ObjectFormat = SHA1): ObjectId {
  const lowered = value.toLowerCase();
  if (!isObjectId(lowered, format)) {
    throw invalid('invalid_object_id', 'not a valid object id', {
      length: value.length,
      format: format.name,
    });
  }
  return lowered;
}

/** The hex id of `rawLength` binary bytes starting at `offset`. */
export function objectIdFromRaw(raw: Uint8Array, offset = 0, format: ObjectFormat = SHA1): ObjectId {
  if (offset + format.rawLength > raw.length) {
    throw invalid('invalid_object_id', 'binary object id is truncated', { offset, format: format.name });
  }
  const end = offset + format.rawLength;
  // Binary bytes always give lowercase hex of the format's length.
  if (Buffer.isBuffer(raw)) return brand(raw.toString('hex', offset, end));
  return brand(Buffer.from(raw.buffer, raw.byteOffset + offset, format.rawLength).toString('hex'));
}

/** The binary form of an id. */
export function objectIdToRaw(id: ObjectId): Buffer {
  return Buffer.from(id, 'hex');
}

/** Whether `id` is the all-zero id of either format: "no object" (a ref created or deleted). */
export function isZeroId(id: string): boolean {
  return ALL_ZEROS.test(id);
}

const ALL_ZEROS = /^0+$/;

/** The all-zero id of a format, used for "no object" in ref updates. */
export function zeroObjectId(format: ObjectFormat = SHA1): ObjectId {
  return brand(format.zeroId);
}
