import { wasmDeltaMemory, type WasmDeltaApply } from './delta-wasm.js';

/** Entries indexed before the first growth of the per-entry columns. */
const INITIAL_ENTRIES = 4096;

/**
 * The contents of the entries scanned most recently, in one ring of bytes of fixed size, so a
 * delta whose base was scanned shortly before can be applied right away, from the delta the scan
 * has just inflated: inflated once, never read back from the spool. Packs place a delta close
 * after its base (git writes a base before the deltas on it), so a ring of some tens of MiB
 * holds the base of nearly every OFS_DELTA.
 *
 * Contents are placed one after the other at a growing absolute position, in laps over the ring
 * from its start; a content never wraps around a lap's end (it starts the next lap instead). A
 * content is intact as long as nothing was placed past its start plus the size of its lap.
 *
 * Laps may start smaller than the ring (`firstLap`) and grow to it, doubling from the next lap on
 * once a base asked for was overwritten (`noteMissed`): the ring's pages are touched only as far as
 * the laps reach, and a small lap stays in the CPU's caches. A pack whose bases are close never
 * pays for the whole ring's first touch (~8k page faults for 32 MiB, ~10 % of the decode of a
 * 32k-object pack: docs/scale.md, "The decode thread's ring in laps"). Memory is the ring (and its
 * room for a delta, `deltaRoom`), plus 20 bytes per entry.
 */
export class RecentContents {
  private readonly ring: Buffer;
  /** Absolute position where the next content goes. */
  private head = 0;
  /** Absolute position where the current lap starts, and its size. */
  private lapStart = 0;
  private lapSize: number;
  /** The size of the next lap (grown by `noteMissed`). */
  private nextLapSize: number;
  /**
   * Per entry: the absolute position up to which its content is intact (-1: never placed), where
   * it lies in the ring, and its length.
   */
  private intactUntil = new Float64Array(INITIAL_ENTRIES).fill(-1);
  private offsets = new Int32Array(INITIAL_ENTRIES);
  private lengths = new Float64Array(INITIAL_ENTRIES);
  /** Where the last `reserve` placed its bytes (absolute, and in the ring), and how many. */
  private reservedAt = -1;
  private reservedOffset = 0;
  private reservedLength = 0;
  /**
   * With `deltaRoom`: the ring and, right after it, `deltaRoom` bytes for a delta lie in one
   * WebAssembly memory, whose delta loop (`delta-wasm.ts`) applies deltas of up to that size
   * (`applyDelta`). Undefined where WebAssembly is not available.
   */
  private readonly wasm: { readonly apply: WasmDeltaApply; readonly deltaArea: Buffer } | undefined;

  constructor(
    readonly capacity: number,
    firstLap = capacity,
    deltaRoom = 0,
  ) {
    // Offsets in the ring are kept as 32-bit integers.
    if (capacity > 0x7fffffff) throw new RangeError('ring of recent contents over 2 GiB');
    const memory = deltaRoom > 0 ? wasmDeltaMemory(capacity + deltaRoom) : undefined;
    if (memory) {
      // Pages of a WebAssembly memory are mapped as they are first touched, as a buffer's are.
      this.ring = Buffer.from(memory.buffer, 0, capacity);
      this.wasm = { apply: memory.apply, deltaArea: Buffer.from(memory.buffer, capacity, deltaRoom) };
    } else {
      this.ring = Buffer.allocUnsafeSlow(capacity);
      this.wasm = undefined;
    }
    this.lapSize = Math.min(capacity, Math.max(1, firstLap));
    this.nextLapSize = this.lapSize;
  }

  /**
   * The room for a delta of `size` bytes where `applyDelta` reads it (at least `size + 1` bytes,
   * and up to `INFLATE_SLACK` more where the room has them), or undefined when it does not fit
   * (or there is no WebAssembly). Overwritten by the next delta placed there.
   */
  deltaRoom(size: number): Buffer | undefined {
    const area = this.wasm?.deltaArea;
    return area && size + 1 <= area.length ? area : undefined;
  }

  /**
   * Applies `delta` (its instructions from `headerLength`) to the base at `bytes[baseAt…]` of
   * `baseSize` bytes, writing `resultSize` bytes at `bytes[resultAt…]` (reserved, not over the
   * base), through the WebAssembly loop. True when applied; false for a delta it cannot take (no
   * WebAssembly, too big for the delta room) or a bad one (result then partly written, as
   * `applyDeltaWithin` leaves it): the caller applies it in JavaScript, which throws the error.
   */
  applyDelta(
    delta: Uint8Array,
    headerLength: number,
    baseAt: number,
    baseSize: number,
    resultAt: number,
    resultSize: number,
  ): boolean {
    const wasm = this.wasm;
    if (!wasm || delta.length > wasm.deltaArea.length) return false;
    // A delta inflated into the room (`deltaRoom`) is there already.
    if (delta.buffer !== wasm.deltaArea.buffer || delta.byteOffset !== wasm.deltaArea.byteOffset)
      wasm.deltaArea.set(delta, 0);
    const deltaAt = this.capacity;
    return (
      wasm.apply(
        deltaAt + headerLength,
        deltaAt + delta.length,
        baseAt,
        baseSize,
        resultAt,
        resultAt + resultSize,
      ) === 0
    );
  }

  /** The ring itself: every view `reserve` and `get` return lies in it. */
  get bytes(): Buffer {
    return this.ring;
  }

  /** Contents larger than this are not placed: a few big ones would push out everything else. */
  get maxContent(): number {
    return Math.floor(this.capacity / 4);
  }

  /** The size of the current lap (at most `capacity`). */
  get lap(): number {
    return this.lapSize;
  }

  /**
   * Room for `length` bytes at the head, to be written then recorded with `commit`: where it
   * starts in `bytes` (no view made: callers make the one they need), or -1 when `length` is
   * over `maxContent`, or when the room would overwrite the content of entry `keep` (a delta's
   * base, read while its result is written).
   */
  reserve(length: number, keep = -1): number {
    if (length > this.maxContent) return -1;
    // A content too big for a small lap starts a lap over the whole ring at once.
    const tooBig = length > Math.floor(this.lapSize / 4);
    if (tooBig) this.nextLapSize = this.capacity;
    let lapStart = this.lapStart;
    let lapSize = this.lapSize;
    // A grown lap starts where this one ends: starting it early would drop this one's contents
    // past the head, which its bytes still hold.
    if (this.head - lapStart + length > lapSize || tooBig) {
      lapStart += lapSize;
      lapSize = this.nextLapSize;
    }
    const start = Math.max(this.head, lapStart);
    if (keep >= 0 && !this.intact(keep, start + length)) return -1;
    this.lapStart = lapStart;
    this.lapSize = lapSize;
    this.head = start + length;
    this.reservedAt = start;
    this.reservedOffset = start - lapStart;
    this.reservedLength = length;
    return this.reservedOffset;
  }

  /** Records that entry `index`'s content is `content`, a view inside the last reservation. */
  commit(index: number, content: Buffer): void {
    if (!this.holdsReserved(content)) throw new RangeError('content is not in the last reservation');
    if (index >= this.intactUntil.length) this.grow(index);
    const offset = this.localOffset(content);
    this.intactUntil[index] = this.reservedAt + offset + this.lapSize;
    this.offsets[index] = this.reservedOffset + offset;
    this.lengths[index] = content.length;
  }

  /** Whether `data` lies inside the last reservation (an inflater may have used its own buffer). */
  holdsReserved(data: Buffer): boolean {
    if (this.reservedAt < 0 || data.buffer !== this.ring.buffer) return false;
    const offset = this.localOffset(data);
    return offset >= 0 && offset + data.length <= this.reservedLength;
  }

  /** Where `data` (a view of the ring) starts in the last reservation. */
  private localOffset(data: Buffer): number {
    return data.byteOffset - this.ring.byteOffset - this.reservedOffset;
  }

  /** Entry `index`'s content, while it is still in the ring (a view: copy it to keep it). */
  get(index: number): Buffer | undefined {
    const at = this.offsetOf(index);
    return at < 0 ? undefined : this.ring.subarray(at, at + this.lengths[index]!);
  }

  /**
   * Where entry `index`'s content lies in `bytes` while it is still in the ring, else -1; its
   * length is `lengthOf`. `get` without the view, for the per-object paths of the scan.
   */
  offsetOf(index: number): number {
    if (index < 0 || index >= this.intactUntil.length || !this.intact(index, this.head)) return -1;
    return this.offsets[index]!;
  }

  /** The length of entry `index`'s content, as committed. */
  lengthOf(index: number): number {
    return this.lengths[index]!;
  }

  /** Whether entry `index` was ever placed (its content may be gone since). */
  placed(index: number): boolean {
    return index >= 0 && index < this.intactUntil.length && this.intactUntil[index]! >= 0;
  }

  /**
   * A delta's base was not found in the ring (overwritten, or for a REF_DELTA not known): laps
   * double from the next one on, up to the whole ring.
   */
  noteMissed(): void {
    this.nextLapSize = Math.min(this.capacity, Math.max(this.nextLapSize, 2 * this.lapSize));
  }

  /** Whether entry `index` was placed and survives placements up to absolute position `head`. */
  private intact(index: number, head: number): boolean {
    const until = this.intactUntil[index]!;
    return until >= 0 && head <= until;
  }

  private grow(index: number): void {
    const size = Math.max(index + 1, this.intactUntil.length * 2);
    const intactUntil = new Float64Array(size).fill(-1);
    intactUntil.set(this.intactUntil);
    const offsets = new Int32Array(size);
    offsets.set(this.offsets);
    const lengths = new Float64Array(size);
    lengths.set(this.lengths);
    this.intactUntil = intactUntil;
    this.offsets = offsets;
    this.lengths = lengths;
  }
}

/**
 * Slots of `RecentIds`' table (a power of two; 4 MiB, zeroed lazily by the OS, so only the pages
 * used are touched). Its size makes two recent ids sharing a slot rare: with 2^17 slots, 19 of
 * the storage bench's 28,385 REF_DELTAs missed their base, and each miss grows the laps
 * (`RecentContents.noteMissed`); with 2^20, none. A ring of tiny objects (a hostile pack of
 * empty-ish blobs) may hold millions of entries, but the table stays this size.
 */
const RECENT_ID_SLOTS = 1 << 20;

/** Where the entries' raw ids are: entry i's at `i * rawLength` of `rawIds()` (which may be replaced as it grows). */
export interface RawIdColumn {
  readonly rawLength: number;
  rawIds(): Uint8Array;
}

/**
 * Which entry holds each id among the contents still in a `RecentContents`, for REF_DELTAs (which
 * name their base by id). A table of entry numbers indexed by the low bits of the id's first 30
 * bits, each slot holding the latest entry added there: nothing is ever removed, as a lookup
 * checks that the entry's content is still in the ring and compares the whole raw id. So adding
 * is one store, and memory is the table whatever the ring holds.
 *
 * Two recent ids sharing a slot keep the later one: a REF_DELTA on the other is then left to the
 * resolver after the scan, as for a base that left the ring, so a collision costs time, never a
 * wrong base.
 */
export class RecentIds {
  private readonly slots: Int32Array;
  private readonly mask: number;

  /**
   * Starts with the entries below `next` whose contents are still in the ring: the bases the
   * first REF_DELTA may name. Their ids must be in `column` already.
   */
  constructor(
    private readonly recent: RecentContents,
    next: number,
    private readonly column: RawIdColumn,
    slots = RECENT_ID_SLOTS,
  ) {
    if (slots <= 0 || (slots & (slots - 1)) !== 0) throw new RangeError('id slots must be a power of two');
    // Entry numbers plus one: 0 is an empty slot, so the table needs no fill.
    this.slots = new Int32Array(slots);
    this.mask = slots - 1;
    // Placed in entry order: below the first one overwritten, all are (some never were). The
    // oldest go in first, so a later entry sharing a slot takes it.
    let first = next;
    while (first > 0 && (recent.offsetOf(first - 1) >= 0 || !recent.placed(first - 1))) first--;
    for (let index = first; index < next; index++) if (recent.offsetOf(index) >= 0) this.add(index);
  }

  /** Records that entry `index`, just placed in the ring, has the id now in the column. */
  add(index: number): void {
    this.slots[idKey(this.column.rawIds(), index * this.column.rawLength) & this.mask] = index + 1;
  }

  /** The entry holding the raw id `id[at…]` in the ring, or -1. */
  indexOf(id: Uint8Array, at = 0): number {
    const index = this.slots[idKey(id, at) & this.mask]! - 1;
    if (index < 0 || this.recent.offsetOf(index) < 0) return -1;
    const { rawLength } = this.column;
    const ids = this.column.rawIds();
    const start = index * rawLength;
    for (let i = 0; i < rawLength; i++) if (ids[start + i] !== id[at + i]) return -1;
    return index;
  }
}

/** The first 30 bits of the raw id at `at`: a small integer, whose low bits pick a slot. */
function idKey(id: Uint8Array, at: number): number {
  return (id[at]! << 22) | (id[at + 1]! << 14) | (id[at + 2]! << 6) | (id[at + 3]! >> 2);
}
