import type { ObjectType } from './object.js';
import type { ObjectFormat } from './object-format.js';
import { objectIdFromRaw, type ObjectId } from './object-id.js';
import { codeOfObjectType, objectTypeOfCode } from './pack-format.js';
import type { ScannedEntry } from './pack-scanner.js';
import type { PackedObject } from './pack-types.js';
import { grown } from './grown-array.js';

/** Rows allocated before the first growth: a pack's declared count is not trusted up front. */
const INITIAL_ROWS = 4096;
/** Entry indexes of bases outside the pack (thin packs) count down from here. */
export const EXTERNAL_BASE = -1;

/** A size column's mark for a size of 2^32 - 1 or more, kept in the column's overflow map. */
const BIG_SIZE = 0xffffffff;

/**
 * What the pack reader knows about every entry, one typed-array column per field indexed by
 * entry number: the scan's facts (offset, sizes, CRC32, OFS base) and, once known, the object's
 * type, size, depth, delta base and raw id. A `ScannedEntry` and a `PackedObject` per entry,
 * each with a hex id string, cost ~250 bytes and a lot of garbage at 500k objects; these columns
 * 55 bytes (51 without CRC32s) and none. `PackedObject`s are made only to hand one to a caller.
 * Sizes are 32-bit with the rare bigger one in a map; an entry's compressed length is where the
 * next entry starts (the last one's is kept apart); the CRC32 column exists only for a reader
 * that computes them.
 *
 * Columns grow with the entries actually scanned, never past twice those (a pack's declared
 * count is not trusted up front), and never past the declared count while the pack keeps to it.
 */
export class PackEntries {
  private rows = 0;
  private capacity: number;
  offset: Float64Array;
  code: Uint8Array;
  /** Size declared in the entry header (the delta's size for deltas): `declaredSizeOf`. */
  private declaredSizes: Uint32Array;
  headerLength: Uint8Array;
  /** The last entry's compressed length (the others' are up to the next entry's offset). */
  private lastCompressedLength = 0;
  /** Empty when the reader skips CRC32s. */
  private crc32s: Uint32Array;
  /** OFS_DELTA: index of the base entry; otherwise -1. */
  baseIndex: Int32Array;
  /** Object type code once the object's id is known (whole entries at once); 0 until then. */
  typeCode: Uint8Array;
  /** Inflated size of the object itself: `sizeOf`. */
  private sizes: Uint32Array;
  /** Sizes of 2^32 - 1 or more, by entry (declared sizes, then object sizes). */
  private readonly bigDeclaredSizes = new Map<number, number>();
  private readonly bigSizes = new Map<number, number>();
  /** 0 for whole objects, else 1 + the base's depth. */
  depth: Int32Array;
  /** Resolved deltas: the entry their base is (`EXTERNAL_BASE - n` for the n-th external base). */
  deltaBase: Int32Array;
  private ids: Buffer;
  /**
   * REF_DELTA entries the reader did not resolve as it scanned: the base id they name (set by the
   * reader; few in most packs).
   */
  readonly refBaseIds = new Map<number, ObjectId>();
  /** Deltas kept inflated from the scan (within the reader's budget), until resolved. */
  readonly inflated = new Map<number, Buffer>();
  private readonly externalIds: ObjectId[] = [];
  private readonly externalTypes: ObjectType[] = [];
  private readonly withCrc32: boolean;

  constructor(
    private readonly format: ObjectFormat,
    private readonly declaredCount: number,
    options: { readonly crc32?: boolean } = {},
  ) {
    this.withCrc32 = options.crc32 ?? true;
    this.capacity = Math.max(1, Math.min(declaredCount, INITIAL_ROWS));
    this.offset = new Float64Array(this.capacity);
    this.code = new Uint8Array(this.capacity);
    this.declaredSizes = new Uint32Array(this.capacity);
    this.headerLength = new Uint8Array(this.capacity);
    this.crc32s = new Uint32Array(this.withCrc32 ? this.capacity : 0);
    this.baseIndex = new Int32Array(this.capacity);
    this.typeCode = new Uint8Array(this.capacity);
    this.sizes = new Uint32Array(this.capacity);
    this.depth = new Int32Array(this.capacity);
    this.deltaBase = new Int32Array(this.capacity);
    this.ids = Buffer.alloc(this.capacity * format.rawLength);
  }

  /** Entries recorded so far. */
  get length(): number {
    return this.rows;
  }

  /** Appends the scan's facts of the next entry; returns its index. */
  append(entry: ScannedEntry): number {
    if (this.rows === this.capacity) this.grow();
    const index = this.rows++;
    this.offset[index] = entry.offset;
    this.code[index] = entry.code;
    setSize(this.declaredSizes, this.bigDeclaredSizes, index, entry.declaredSize);
    this.headerLength[index] = entry.headerLength;
    this.lastCompressedLength = entry.compressedLength;
    if (this.withCrc32) this.crc32s[index] = entry.crc32;
    this.baseIndex[index] = entry.baseIndex;
    return index;
  }

  /** Size declared in the entry header (the delta's own size for a delta). */
  declaredSizeOf(index: number): number {
    const size = this.declaredSizes[index]!;
    return size === BIG_SIZE ? this.bigDeclaredSizes.get(index)! : size;
  }

  /** Inflated size of a resolved entry's object. */
  sizeOf(index: number): number {
    const size = this.sizes[index]!;
    return size === BIG_SIZE ? this.bigSizes.get(index)! : size;
  }

  /** Bytes of the entry's zlib stream: up to where the next entry starts. */
  compressedLengthOf(index: number): number {
    if (index === this.rows - 1) return this.lastCompressedLength;
    return this.offset[index + 1]! - this.offset[index]! - this.headerLength[index]!;
  }

  /** The entry's CRC32 (0 when the reader skips them). */
  crc32Of(index: number): number {
    return this.withCrc32 ? this.crc32s[index]! : 0;
  }

  /** Where the entry's zlib stream starts in the pack. */
  dataStart(index: number): number {
    return this.offset[index]! + this.headerLength[index]!;
  }

  /** Whether the entry's id is known (a whole object, or a resolved delta). */
  isResolved(index: number): boolean {
    return this.typeCode[index] !== 0;
  }

  /** Records a whole object's id. */
  resolveWhole(index: number, id: ObjectId, type: ObjectType): void {
    this.typeCode[index] = codeOfObjectType(type);
    setSize(this.sizes, this.bigSizes, index, this.declaredSizeOf(index));
    this.depth[index] = 0;
    this.setId(index, id);
  }

  /** Records a resolved delta: its type and depth come from its base (an entry or an external one). */
  resolveDelta(index: number, base: number, id: ObjectId, size: number): void {
    this.resolveDeltaFacts(index, base, size);
    this.setId(index, id);
  }

  /** `resolveWhole` for an id already written raw at `rawIds[index * rawLength…]` (its digest). */
  resolveWholeRaw(index: number, type: ObjectType): void {
    this.typeCode[index] = codeOfObjectType(type);
    setSize(this.sizes, this.bigSizes, index, this.declaredSizeOf(index));
    this.depth[index] = 0;
  }

  /** `resolveDelta` for an id already written raw at `rawIds[index * rawLength…]` (its digest). */
  resolveDeltaRaw(index: number, base: number, size: number): void {
    this.resolveDeltaFacts(index, base, size);
  }

  /**
   * The raw ids of resolved entries: entry i's at `i * rawLength`. A view valid until the next
   * entry is appended (the column may grow).
   */
  get rawIds(): Buffer {
    return this.ids;
  }

  private resolveDeltaFacts(index: number, base: number, size: number): void {
    this.typeCode[index] = codeOfObjectType(this.typeOf(base));
    setSize(this.sizes, this.bigSizes, index, size);
    this.depth[index] = this.depthOf(base) + 1;
    this.deltaBase[index] = base;
  }

  /** Registers a base from outside the pack; returns the (negative) index it goes by. */
  addExternal(id: ObjectId, type: ObjectType): number {
    this.externalIds.push(id);
    this.externalTypes.push(type);
    return EXTERNAL_BASE - (this.externalIds.length - 1);
  }

  /** Ids of the bases that came from outside the pack, in the order they were added. */
  get externals(): readonly ObjectId[] {
    return this.externalIds;
  }

  /** The index of an external base already added, or undefined. */
  externalIndexOf(id: ObjectId): number | undefined {
    const at = this.externalIds.indexOf(id);
    return at < 0 ? undefined : EXTERNAL_BASE - at;
  }

  /** Type of a resolved entry or of an external base. */
  typeOf(index: number): ObjectType {
    if (index < 0) return this.externalTypes[EXTERNAL_BASE - index]!;
    return objectTypeOfCode(this.typeCode[index]!)!;
  }

  /** Depth of a resolved entry (0 for an external base). */
  depthOf(index: number): number {
    return index < 0 ? 0 : this.depth[index]!;
  }

  /** Hex id of a resolved entry or of an external base (made on each call). */
  idOf(index: number): ObjectId {
    if (index < 0) return this.externalIds[EXTERNAL_BASE - index]!;
    return objectIdFromRaw(this.ids, index * this.format.rawLength, this.format);
  }

  /**
   * The resolved entry as the reader's callers see it. `id` (and for a delta `baseId`) save
   * making hex that the caller already has.
   */
  objectAt(index: number, id: ObjectId = this.idOf(index), baseId?: ObjectId): PackedObject {
    const depth = this.depth[index]!;
    // Two literals, not a spread of the first into the second: one per object of a push.
    if (depth === 0) {
      return {
        id,
        type: this.typeOf(index),
        size: this.sizeOf(index),
        offset: this.offset[index]!,
        crc32: this.crc32Of(index),
        headerLength: this.headerLength[index]!,
        compressedLength: this.compressedLengthOf(index),
        depth,
      };
    }
    return {
      id,
      type: this.typeOf(index),
      size: this.sizeOf(index),
      offset: this.offset[index]!,
      crc32: this.crc32Of(index),
      headerLength: this.headerLength[index]!,
      compressedLength: this.compressedLengthOf(index),
      depth,
      deltaBase: baseId ?? this.idOf(this.deltaBase[index]!),
      deltaSize: this.declaredSizeOf(index),
    };
  }

  /** Every entry as a `PackedObject`, in pack order (all must be resolved). */
  objects(): PackedObject[] {
    const objects = new Array<PackedObject>(this.rows);
    for (let index = 0; index < this.rows; index++) objects[index] = this.objectAt(index);
    return objects;
  }

  private setId(index: number, id: ObjectId): void {
    this.ids.write(id, index * this.format.rawLength, this.format.rawLength, 'hex');
  }

  private grow(): void {
    // Up to the declared count while the pack keeps to it: no slack past its last entry.
    const doubled = this.capacity * 2;
    this.capacity = this.declaredCount > this.rows ? Math.min(doubled, this.declaredCount) : doubled;
    this.offset = grown(this.offset, new Float64Array(this.capacity));
    this.code = grown(this.code, new Uint8Array(this.capacity));
    this.declaredSizes = grown(this.declaredSizes, new Uint32Array(this.capacity));
    this.headerLength = grown(this.headerLength, new Uint8Array(this.capacity));
    if (this.withCrc32) this.crc32s = grown(this.crc32s, new Uint32Array(this.capacity));
    this.baseIndex = grown(this.baseIndex, new Int32Array(this.capacity));
    this.typeCode = grown(this.typeCode, new Uint8Array(this.capacity));
    this.sizes = grown(this.sizes, new Uint32Array(this.capacity));
    this.depth = grown(this.depth, new Int32Array(this.capacity));
    this.deltaBase = grown(this.deltaBase, new Int32Array(this.capacity));
    this.ids = grown(this.ids, Buffer.alloc(this.capacity * this.format.rawLength));
  }
}

/** Stores `size` at `index` of a 32-bit size column, a bigger one in `big` (marked `BIG_SIZE`). */
function setSize(column: Uint32Array, big: Map<number, number>, index: number, size: number): void {
  if (size >= BIG_SIZE) {
    column[index] = BIG_SIZE;
    big.set(index, size);
  } else {
    column[index] = size;
    // A column slot is written once per entry, but a later write must not keep a stale big size.
    if (big.size > 0) big.delete(index);
  }
}
