import type { ObjectId } from '../git/object-id.js';

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

/**
 * An entry index checked for its shape: raw ids in `ids` at `idOffset(entry)`, in pack order.
 * Offsets are read where they are needed (`offset`), not parsed up front: a partial clone cut out
 * of a full pack uses those of its kept entries only (104k of 497k for a branch of the `large`
 * bench repository), and the parse of all of them into an array was 12–43 ms before its first
 * byte. Whoever uses an offset checks it (`cached-pack-subset.ts` before it writes anything).
 */
export interface PackEntryIndex {
  readonly rawLength: number;
  readonly count: number;
  /** The index's bytes; entry `i`'s raw id is at `idOffset(i)`. */
  readonly ids: Buffer;
  idOffset(entry: number): number;
  /** Where entry `entry` starts in the pack, as written (not checked against the pack). */
  offset(entry: number): number;
}

/**
 * An index written by `PackEntryIndexBuilder` for a pack holding `packCount` entries; undefined
 * when it does not describe such a pack (another version or id length, a truncated file, another
 * entry count).
 */
export function parsePackEntryIndex(bytes: Buffer, packCount: number): PackEntryIndex | undefined {
  if (bytes.length < HEADER_LENGTH || bytes.readUInt32BE(0) !== MAGIC || bytes[4] !== VERSION) {
    return undefined;
  }
  const rawLength = bytes[5] as number;
  if (rawLength !== 20 && rawLength !== 32) return undefined;
  const stride = rawLength + OFFSET_BYTES;
  if ((bytes.length - HEADER_LENGTH) % stride !== 0) return undefined;
  const count = (bytes.length - HEADER_LENGTH) / stride;
  if (count !== packCount) return undefined;
  return {
    rawLength,
    count,
    ids: bytes,
    idOffset: (entry) => HEADER_LENGTH + entry * stride,
    offset: (entry) => bytes.readUIntLE(HEADER_LENGTH + entry * stride + rawLength, OFFSET_BYTES),
  };
}
