import type { ObjectId } from '../git/object-id.js';
import { PACK_HEADER_LENGTH } from '../git/pack-format.js';

/** `MPEI`: what a cached pack's entry index starts with. */
const MAGIC = 0x4d504549;
const VERSION = 1;
/** Magic, version, raw id length. */
const HEADER_LENGTH = 6;
/** Bytes of an entry's offset: packs up to 256 TiB. */
const OFFSET_BYTES = 6;

/**
 * Where each entry of a cached pack starts, by object id, in pack order: `[raw id][offset, 6 bytes
 * LE]` per entry after a small header. Kept beside a full clone's cached pack so a partial clone
 * of the same wants can copy its entries out of that pack (`cached-pack-subset.ts`) instead of
 * reading them from the database again.
 */
export class PackEntryIndexBuilder {
  private readonly bytes: Buffer;
  private at = HEADER_LENGTH;

  constructor(
    entries: number,
    private readonly rawLength: number,
  ) {
    this.bytes = Buffer.alloc(HEADER_LENGTH + entries * (rawLength + OFFSET_BYTES));
    this.bytes.writeUInt32BE(MAGIC, 0);
    this.bytes[4] = VERSION;
    this.bytes[5] = rawLength;
  }

  /** The entry of `id` starts at `offset` (entries are added in pack order). */
  add(id: ObjectId, offset: number): void {
    if (this.at + this.rawLength + OFFSET_BYTES > this.bytes.length) return;
    this.bytes.write(id, this.at, this.rawLength, 'hex');
    this.bytes.writeUIntLE(offset, this.at + this.rawLength, OFFSET_BYTES);
    this.at += this.rawLength + OFFSET_BYTES;
  }

  /** The index, or undefined unless exactly the announced number of entries was added. */
  finish(): Buffer | undefined {
    return this.at === this.bytes.length ? this.bytes : undefined;
  }
}

/** A parsed entry index: raw ids in `ids` at `entry * stride`, start offsets in pack order. */
export interface PackEntryIndex {
  readonly rawLength: number;
  readonly count: number;
  /** The index's bytes; entry `i`'s raw id is at `idOffset(i)`. */
  readonly ids: Buffer;
  readonly offsets: Float64Array;
  idOffset(entry: number): number;
}

/**
 * Reads an index written by `PackEntryIndexBuilder` for a pack of `packSize` bytes holding
 * `packCount` entries; undefined when it does not describe such a pack (another version, a
 * truncated file, offsets out of order or out of the pack).
 */
export function parsePackEntryIndex(
  bytes: Buffer,
  packSize: number,
  packCount: number,
): PackEntryIndex | undefined {
  if (bytes.length < HEADER_LENGTH || bytes.readUInt32BE(0) !== MAGIC || bytes[4] !== VERSION) {
    return undefined;
  }
  const rawLength = bytes[5] as number;
  if (rawLength !== 20 && rawLength !== 32) return undefined;
  const stride = rawLength + OFFSET_BYTES;
  if ((bytes.length - HEADER_LENGTH) % stride !== 0) return undefined;
  const count = (bytes.length - HEADER_LENGTH) / stride;
  if (count !== packCount) return undefined;
  const offsets = new Float64Array(count);
  let previous = PACK_HEADER_LENGTH - 1;
  // The last entry ends before the trailing checksum.
  const end = packSize - rawLength;
  for (let entry = 0; entry < count; entry++) {
    const offset = bytes.readUIntLE(HEADER_LENGTH + entry * stride + rawLength, OFFSET_BYTES);
    if (offset <= previous || offset >= end) return undefined;
    offsets[entry] = offset;
    previous = offset;
  }
  return {
    rawLength,
    count,
    ids: bytes,
    offsets,
    idOffset: (entry) => HEADER_LENGTH + entry * stride,
  };
}
