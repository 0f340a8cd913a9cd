import { invalid } from '../platform/errors.js';
import { SHA1, type ObjectFormat } from './object-format.js';
import { objectIdFromRaw, type ObjectId } from './object-id.js';

/**
 * Pack index version 2 (gitformat-pack "Version 2 pack-*.idx files"): magic, version, 256-entry
 * fan-out table, sorted ids, CRC32s, 31-bit offsets (high bit = index into the 64-bit table),
 * 64-bit offsets, the pack checksum and a checksum of the index itself.
 */
const IDX_MAGIC = 0xff744f63;
const IDX_VERSION = 2;
const FANOUT_ENTRIES = 256;
const IDX_HEADER_LENGTH = 8 + FANOUT_ENTRIES * 4;
const LARGE_OFFSET_FLAG = 0x80000000;
const HEX_PAIR = new Map(Array.from({ length: 256 }, (_, i) => [i.toString(16).padStart(2, '0'), i]));

export interface IndexEntry {
  readonly id: ObjectId;
  readonly offset: number;
  readonly crc32: number;
}

/** Writes an `.idx` v2 byte-identical to the one `git index-pack` writes for the same pack. */
export function writePackIndex(
  objects: readonly IndexEntry[],
  packChecksum: Buffer,
  format: ObjectFormat = SHA1,
): Buffer {
  // Sorting plain strings without a comparator stays in native code; hex order is byte order.
  const byId = new Map<string, IndexEntry>();
  for (const object of objects) byId.set(object.id, object);
  const sorted = [...byId.keys()].sort().map((id) => byId.get(id)!);
  const count = sorted.length;
  const largeCount = sorted.filter((o) => o.offset >= LARGE_OFFSET_FLAG).length;
  const rawLength = format.rawLength;
  const size = IDX_HEADER_LENGTH + count * (rawLength + 8) + largeCount * 8 + 2 * rawLength;
  const out = Buffer.alloc(size);
  out.writeUInt32BE(IDX_MAGIC, 0);
  out.writeUInt32BE(IDX_VERSION, 4);
  const fanout = new Uint32Array(FANOUT_ENTRIES);
  for (const object of sorted) fanout[HEX_PAIR.get(object.id.slice(0, 2))!]!++;
  let running = 0;
  for (let i = 0; i < FANOUT_ENTRIES; i++) {
    running += fanout[i]!;
    out.writeUInt32BE(running, 8 + i * 4);
  }
  const idsAt = IDX_HEADER_LENGTH;
  const crcAt = idsAt + count * rawLength;
  const offsetsAt = crcAt + count * 4;
  const largeAt = offsetsAt + count * 4;
  let large = 0;
  for (const [i, object] of sorted.entries()) {
    out.write(object.id, idsAt + i * rawLength, rawLength, 'hex');
    out.writeUInt32BE(object.crc32 >>> 0, crcAt + i * 4);
    if (object.offset < LARGE_OFFSET_FLAG) {
      out.writeUInt32BE(object.offset, offsetsAt + i * 4);
    } else {
      out.writeUInt32BE((LARGE_OFFSET_FLAG | large) >>> 0, offsetsAt + i * 4);
      out.writeBigUInt64BE(BigInt(object.offset), largeAt + large * 8);
      large++;
    }
  }
  const trailerAt = largeAt + largeCount * 8;
  packChecksum.copy(out, trailerAt, 0, rawLength);
  format.hash(out.subarray(0, trailerAt + rawLength)).copy(out, trailerAt + rawLength);
  return out;
}

/** A parsed `.idx` v2 for lookups by id (serving objects from a stored pack). */
export class PackIndex {
  readonly count: number;
  readonly packChecksum: Buffer;
  private readonly crcAt: number;
  private readonly offsetsAt: number;
  private readonly largeAt: number;

  constructor(
    private readonly data: Buffer,
    private readonly format: ObjectFormat = SHA1,
  ) {
    const raw = format.rawLength;
    if (data.length < IDX_HEADER_LENGTH + 2 * raw || data.readUInt32BE(0) !== IDX_MAGIC) {
      throw invalid('pack_index_bad_header', 'not a version 2 pack index');
    }
    if (data.readUInt32BE(4) !== IDX_VERSION)
      throw invalid('pack_index_bad_header', 'unsupported pack index version');
    this.count = data.readUInt32BE(8 + 255 * 4);
    this.crcAt = IDX_HEADER_LENGTH + this.count * raw;
    this.offsetsAt = this.crcAt + this.count * 4;
    this.largeAt = this.offsetsAt + this.count * 4;
    if (this.largeAt + 2 * raw > data.length)
      throw invalid('pack_index_truncated', 'pack index is truncated');
    const trailerAt = data.length - 2 * raw;
    if (!format.hash(data.subarray(0, trailerAt + raw)).equals(data.subarray(trailerAt + raw))) {
      throw invalid('pack_index_bad_checksum', 'pack index checksum does not match');
    }
    this.packChecksum = data.subarray(trailerAt, trailerAt + raw);
  }

  /** The entry at sorted position `i`. */
  entry(i: number): IndexEntry {
    const id = objectIdFromRaw(this.data, IDX_HEADER_LENGTH + i * this.format.rawLength, this.format);
    const crc32 = this.data.readUInt32BE(this.crcAt + i * 4);
    let offset = this.data.readUInt32BE(this.offsetsAt + i * 4);
    if (offset & LARGE_OFFSET_FLAG) {
      offset = Number(this.data.readBigUInt64BE(this.largeAt + (offset & ~LARGE_OFFSET_FLAG) * 8));
    }
    return { id, offset, crc32 };
  }

  /** Binary search through the fan-out bucket of the id's first byte. */
  find(id: ObjectId): IndexEntry | undefined {
    const raw = Buffer.from(id, 'hex');
    const first = raw[0]!;
    let low = first === 0 ? 0 : this.data.readUInt32BE(8 + (first - 1) * 4);
    let high = this.data.readUInt32BE(8 + first * 4);
    const width = this.format.rawLength;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const at = IDX_HEADER_LENGTH + mid * width;
      const cmp = this.data.compare(raw, 0, width, at, at + width);
      if (cmp === 0) return this.entry(mid);
      if (cmp < 0) low = mid + 1;
      else high = mid;
    }
    return undefined;
  }
}
