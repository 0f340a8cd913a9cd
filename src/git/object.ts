import crypto from 'node:crypto';
import { invalid } from '../platform/errors.js';
import { SHA1, type ObjectFormat } from './object-format.js';
import { objectIdFromDigest, type ObjectId } from './object-id.js';

/** The four object types (gitformat-pack "Object types"). */
export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

export const OBJECT_TYPES: readonly ObjectType[] = ['commit', 'tree', 'blob', 'tag'];

export function isObjectType(value: string): value is ObjectType {
  return value === 'blob' || value === 'tree' || value === 'commit' || value === 'tag';
}

/** The header git hashes in front of the content: `<type> <size>\0`. */
export function objectHeader(type: ObjectType, size: number): Buffer {
  return Buffer.from(`${type} ${size}\0`, 'latin1');
}

/** Objects up to this size are hashed in one call over a reused buffer (no Hash object per object). */
const ONE_SHOT_HASH_LIMIT = 1 << 20;
let hashScratch: Buffer = Buffer.allocUnsafe(64 * 1024);
const oneShotHash = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string })
  .hash;

/** The id of an object: hash of header plus content. */
export function hashObject(type: ObjectType, content: Uint8Array, format: ObjectFormat = SHA1): ObjectId {
  if (oneShotHash && content.length <= ONE_SHOT_HASH_LIMIT)
    return objectIdFromDigest(oneShotHash(format.name, framedInScratch(type, content), 'hex'));
  return objectIdFromDigest(format.hash(objectHeader(type, content.length), content).toString('hex'));
}

/** Header and content in the reused scratch buffer (valid until the next call), for one-shot hashes. */
function framedInScratch(type: ObjectType, content: Uint8Array): Uint8Array {
  const needed = content.length + 32;
  if (hashScratch.length < needed) hashScratch = Buffer.allocUnsafe(Math.max(needed, hashScratch.length * 2));
  const headerLength = writeObjectHeader(type, content.length, hashScratch);
  hashScratch.set(content, headerLength);
  return hashScratch.subarray(0, headerLength + content.length);
}

/** Bytes of the header `objectHeader` makes, without making it. */
export function objectHeaderLength(type: ObjectType, size: number): number {
  let digits = 1;
  for (let rest = size; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  return type.length + digits + 2;
}

/** Each type's name as bytes, for `writeObjectHeader`. */
const TYPE_NAME_BYTES: Readonly<Record<ObjectType, Uint8Array>> = {
  commit: Buffer.from('commit'),
  tree: Buffer.from('tree'),
  blob: Buffer.from('blob'),
  tag: Buffer.from('tag'),
};

/**
 * Writes the object header at `target[at…]`; returns its length. Byte by byte, with no string
 * made: the decode thread writes one per object.
 */
export function writeObjectHeader(type: ObjectType, size: number, target: Uint8Array, at = 0): number {
  const name = TYPE_NAME_BYTES[type];
  let pos = at;
  for (let i = 0; i < name.length; i++) target[pos++] = name[i]!;
  target[pos++] = 0x20;
  const digits = objectHeaderLength(type, size) - name.length - 2;
  let rest = size;
  for (let i = digits - 1; i >= 0; i--) {
    target[pos + i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  pos += digits;
  target[pos++] = 0;
  return pos - at;
}

/**
 * Writes the raw id of an object whose content sits right after its header in one buffer
 * (`framed`: header and content) at `target[at…]`. Nothing is copied, unlike `hashObjectRawInto`.
 * The one-shot hash goes through its hex digest: a string costs less than the Buffer the binding
 * would make (a backing store of its own per digest, ~0.3 µs an object on the decode thread;
 * docs/scale.md, "The decode thread's per-object work").
 */
export function hashFramedObjectInto(
  framed: Uint8Array,
  format: ObjectFormat,
  target: Buffer,
  at: number,
): void {
  if (oneShotHash) writeHexDigest(oneShotHash(format.name, framed, 'hex'), target, at, format.rawLength);
  else target.set(format.hash(framed), at);
}

/** Each hex digit's value, by its character code (the digest's digits are lower-case). */
const HEX_VALUES = hexValues();

/**
 * The hex digest's bytes at `target[at…]`: a loop over its characters costs ~80 ns less per
 * object than `Buffer#write(…, 'hex')`'s call into the binding (docs/scale.md, "The decode
 * thread's inflating … (2026-12-07, eleventh session)").
 */
function writeHexDigest(hex: string, target: Uint8Array, at: number, rawLength: number): void {
  for (let i = 0; i < rawLength; i++)
    target[at + i] = (HEX_VALUES[hex.charCodeAt(2 * i)]! << 4) | HEX_VALUES[hex.charCodeAt(2 * i + 1)]!;
}

function hexValues(): Uint8Array {
  const values = new Uint8Array(128);
  for (let digit = 0; digit < 16; digit++) values['0123456789abcdef'.charCodeAt(digit)] = digit;
  return values;
}

/** The raw id of an object (its digest), written at `target[at…]`, for callers that keep ids raw. */
export function hashObjectRawInto(
  type: ObjectType,
  content: Uint8Array,
  format: ObjectFormat,
  target: Buffer,
  at: number,
): void {
  if (oneShotHash && content.length <= ONE_SHOT_HASH_LIMIT)
    hashFramedObjectInto(framedInScratch(type, content), format, target, at);
  else target.set(format.hash(objectHeader(type, content.length), content), at);
}

/** Loose-object form (header + content), as `git hash-object` hashes it. */
export function encodeLooseObject(type: ObjectType, content: Uint8Array): Buffer {
  return Buffer.concat([objectHeader(type, content.length), content]);
}

/** Splits a loose object into type and content, checking the declared size. */
export function decodeLooseObject(data: Buffer): { type: ObjectType; content: Buffer } {
  const nul = data.indexOf(0);
  const space = data.indexOf(0x20);
  if (nul < 0 || space < 0 || space > nul) {
    throw invalid('object_bad_header', 'object header is malformed');
  }
  const type = data.toString('latin1', 0, space);
  const sizeText = data.toString('latin1', space + 1, nul);
  if (!isObjectType(type)) throw invalid('object_bad_type', 'unknown object type', { type });
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || Number(sizeText) !== data.length - nul - 1) {
    throw invalid('object_bad_header', 'object size does not match its header', { size: sizeText });
  }
  return { type, content: data.subarray(nul + 1) };
}
