import { invalid } from '../platform/errors.js';
import type { ObjectType } from './object.js';

/**
 * Pack file layout (gitformat-pack "pack-*.pack files have the following format"): a 12-byte
 * header `PACK`, version, object count; entries; a trailing hash of everything before it.
 * Each entry starts with a type-and-size varint; OFS_DELTA adds a negative offset varint,
 * REF_DELTA the base's binary id; then a zlib stream.
 */
export const PACK_SIGNATURE = 0x5041434b; // "PACK"
export const PACK_HEADER_LENGTH = 12;
export const PACK_VERSIONS: readonly number[] = [2, 3];

export const PackEntryType = {
  Commit: 1,
  Tree: 2,
  Blob: 3,
  Tag: 4,
  OfsDelta: 6,
  RefDelta: 7,
} as const;
export type PackEntryType = (typeof PackEntryType)[keyof typeof PackEntryType];

const TYPE_BY_CODE: readonly (ObjectType | undefined)[] = [undefined, 'commit', 'tree', 'blob', 'tag'];

export function objectTypeOfCode(code: number): ObjectType | undefined {
  return TYPE_BY_CODE[code];
}

export function codeOfObjectType(type: ObjectType): PackEntryType {
  switch (type) {
    case 'commit':
      return PackEntryType.Commit;
    case 'tree':
      return PackEntryType.Tree;
    case 'blob':
      return PackEntryType.Blob;
    case 'tag':
      return PackEntryType.Tag;
  }
}

export function encodePackHeader(count: number, version = 2): Buffer {
  const header = Buffer.allocUnsafe(PACK_HEADER_LENGTH);
  header.writeUInt32BE(PACK_SIGNATURE, 0);
  header.writeUInt32BE(version, 4);
  header.writeUInt32BE(count, 8);
  return header;
}

export function decodePackHeader(header: Buffer): { version: number; count: number } {
  if (header.length < PACK_HEADER_LENGTH || header.readUInt32BE(0) !== PACK_SIGNATURE) {
    throw invalid('pack_bad_signature', 'input is not a git pack');
  }
  const version = header.readUInt32BE(4);
  if (!PACK_VERSIONS.includes(version))
    throw invalid('pack_bad_version', 'unsupported pack version', { version });
  return { version, count: header.readUInt32BE(8) };
}

/** Longest entry header or OFS distance: a 2^53 size or offset fits in 9 bytes (7 bits per byte). */
export const MAX_ENTRY_HEADER_LENGTH = 10;

/** Entry type-and-size header. */
export function encodeEntryHeader(type: PackEntryType, size: number): Buffer {
  const header = Buffer.allocUnsafe(MAX_ENTRY_HEADER_LENGTH);
  return header.subarray(0, writeEntryHeader(header, 0, type, size));
}

/**
 * Writes an entry's type-and-size header into `target` at `offset` (room for
 * MAX_ENTRY_HEADER_LENGTH bytes) and returns the offset after it: a served pack writes tens of
 * thousands of headers, and a Buffer each costs more than the bytes.
 */
export function writeEntryHeader(target: Buffer, offset: number, type: PackEntryType, size: number): number {
  let at = offset;
  let byte = (type << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    target[at++] = byte | 0x80;
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  target[at++] = byte;
  return at;
}

/** OFS_DELTA's distance to the base: big-endian base-128 where each continuation adds one. */
export function encodeOfsDistance(distance: number): Buffer {
  const encoded = Buffer.allocUnsafe(MAX_ENTRY_HEADER_LENGTH);
  return encoded.subarray(0, writeOfsDistance(encoded, 0, distance));
}

/** `encodeOfsDistance` into `target` at `offset`; returns the offset after it. */
export function writeOfsDistance(target: Buffer, offset: number, distance: number): number {
  // Digits come out least significant first: count them, then fill from the end.
  let length = 1;
  for (let rest = Math.floor(distance / 128); rest > 0; rest = Math.floor((rest - 1) / 128)) length++;
  let at = offset + length - 1;
  target[at] = distance & 0x7f;
  for (let rest = Math.floor(distance / 128); rest > 0; rest = Math.floor(rest / 128)) {
    rest -= 1;
    target[--at] = 0x80 | (rest & 0x7f);
  }
  return offset + length;
}

/** Largest size varint we accept: 2^53 bits of JS integers, far beyond any limit. */
const MAX_VARINT_SHIFT = 53;

export interface EntryHeader {
  readonly code: number;
  readonly size: number;
  /** Set for OFS_DELTA: distance back to the base entry. */
  readonly ofsDistance?: number;
  /** Header bytes before the zlib stream (including an OFS distance or REF base id). */
  readonly length: number;
}

/**
 * Parses an entry header at `pos`; returns undefined when `buf` ends first (more input needed).
 * `idLength` is the object format's raw id length (for REF_DELTA).
 */
export function decodeEntryHeader(buf: Buffer, pos: number, idLength: number): EntryHeader | undefined {
  let p = pos;
  if (p >= buf.length) return undefined;
  let byte = buf[p++]!;
  const code = (byte >> 4) & 0x07;
  let size = byte & 0x0f;
  let shift = 4;
  while (byte & 0x80) {
    if (p >= buf.length) return undefined;
    byte = buf[p++]!;
    if (shift > MAX_VARINT_SHIFT - 7)
      throw invalid('pack_bad_entry_header', 'pack entry size varint is too long');
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  }
  if (code === PackEntryType.OfsDelta) {
    if (p >= buf.length) return undefined;
    byte = buf[p++]!;
    let distance = byte & 0x7f;
    while (byte & 0x80) {
      if (p >= buf.length) return undefined;
      if (distance > 2 ** 45) throw invalid('pack_bad_entry_header', 'pack delta offset is too large');
      byte = buf[p++]!;
      distance = (distance + 1) * 128 + (byte & 0x7f);
    }
    return { code, size, ofsDistance: distance, length: p - pos };
  }
  if (code === PackEntryType.RefDelta) {
    if (p + idLength > buf.length) return undefined;
    return { code, size, length: p + idLength - pos };
  }
  if (objectTypeOfCode(code) === undefined)
    throw invalid('pack_bad_entry_type', 'pack entry has an unknown type', { code });
  return { code, size, length: p - pos };
}
