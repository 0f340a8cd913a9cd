import type { ObjectFormat } from './object-format.js';
import { objectIdFromRaw, type ObjectId } from './object-id.js';
import { rawIdHash, rawIdSeed } from './raw-id-hash.js';

/** Ids per storage chunk: chunks are never copied when the index grows. */
const CHUNK_IDS = 1 << 16;
const CHUNK_SHIFT = 16;
const INITIAL_BUCKETS = 1 << 12;
/** Most ids per bucket before the bucket array doubles (linear probing stays short below this). */
const MAX_LOAD = 0.5;
/** ASCII codes of the hex digits 0-9a-f. */
const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));

/**
 * Raw object ids (20 or 32 bytes) numbered 0, 1, 2… in order of first sight, so per-object data
 * can live in typed arrays indexed by that number and lists of objects can be lists of numbers.
 * Unlike `RawIdTable` an id's number never changes when the index grows. Memory: the raw ids in
 * chunks of 64k plus one 8-byte bucket (index, hash) per id at most twice over, about 36 bytes
 * per SHA-1 id.
 * Lookups read the id straight from bytes (a tree entry, a digest): no string per lookup, and
 * a seeded hash of the whole id (`rawIdHash`: tree entries are chosen by the pusher).
 */
export class DenseIdIndex {
  private readonly chunks: Uint8Array[] = [];
  /**
   * Two words per bucket: the index + 1 (0 = empty), then the id's hash. A probe compares the
   * hash before the id, so passing a bucket of another id reads no id bytes: those are spread
   * over megabytes, and each such read was a cache miss (the graph of a 497k-object push makes
   * millions of lookups).
   */
  private buckets = new Int32Array(2 * INITIAL_BUCKETS);
  private bucketCount = INITIAL_BUCKETS;
  private count = 0;
  private readonly seed = rawIdSeed();

  constructor(private readonly rawLength: number) {}

  get size(): number {
    return this.count;
  }

  /** Bytes held (for memory budgets). */
  get bytes(): number {
    return this.chunks.length * CHUNK_IDS * this.rawLength + this.buckets.byteLength;
  }

  /** The number of the id at `data[offset…]`, given the next number when it is new. */
  add(data: Uint8Array, offset: number): number {
    const hash = rawIdHash(data, offset, this.rawLength, this.seed);
    const found = this.probe(data, offset, hash);
    if (found >= 0) return (this.buckets[2 * found] as number) - 1;
    if (this.count + 1 > this.bucketCount * MAX_LOAD) {
      this.grow();
      return this.add(data, offset);
    }
    const index = this.count++;
    if (index >>> CHUNK_SHIFT === this.chunks.length)
      this.chunks.push(new Uint8Array(CHUNK_IDS * this.rawLength));
    const chunk = this.chunkOf(index);
    const at = this.offsetOf(index);
    for (let i = 0; i < this.rawLength; i++) chunk[at + i] = data[offset + i] as number;
    const bucket = -found - 1;
    this.buckets[2 * bucket] = index + 1;
    this.buckets[2 * bucket + 1] = hash;
    return index;
  }

  /** The number of the id at `data[offset…]`, or -1. */
  find(data: Uint8Array, offset: number): number {
    const found = this.probe(data, offset, rawIdHash(data, offset, this.rawLength, this.seed));
    return found >= 0 ? (this.buckets[2 * found] as number) - 1 : -1;
  }

  /** The hex id numbered `index`; `format` is the one whose raw length the index was made for. */
  idAt(index: number, format: ObjectFormat): ObjectId {
    return objectIdFromRaw(this.chunkOf(index), this.offsetOf(index), format);
  }

  /** Calls `visit` with each id's number and where its raw bytes are (`data[offset…]`), in order. */
  forEachRaw(visit: (index: number, data: Uint8Array, offset: number) => void): void {
    for (let index = 0; index < this.count; index++) visit(index, this.chunkOf(index), this.offsetOf(index));
  }

  /** Byte `at` of the raw id numbered `index` (to bucket ids by their leading byte). */
  byteAt(index: number, at: number): number {
    return this.chunkOf(index)[this.offsetOf(index) + at] as number;
  }

  /** Bytes `at`…`at + 3` of the raw id numbered `index` as an unsigned big-endian number. */
  wordAt(index: number, at: number): number {
    const chunk = this.chunkOf(index);
    const base = this.offsetOf(index) + at;
    return (
      (chunk[base]! * 0x1000000 + ((chunk[base + 1]! << 16) | (chunk[base + 2]! << 8) | chunk[base + 3]!)) >>>
      0
    );
  }

  /** The raw ids numbered `a` and `b` compared bytewise (the order of their hex forms). */
  compare(a: number, b: number): number {
    const chunkA = this.chunkOf(a);
    const chunkB = this.chunkOf(b);
    const baseA = this.offsetOf(a);
    const baseB = this.offsetOf(b);
    for (let i = 0; i < this.rawLength; i++) {
      const difference = chunkA[baseA + i]! - chunkB[baseB + i]!;
      if (difference !== 0) return difference;
    }
    return 0;
  }

  /** Writes the lowercase hex form of the id numbered `index` at `out[at…]`; the offset after it. */
  writeHex(index: number, out: Uint8Array, at: number): number {
    const chunk = this.chunkOf(index);
    const base = this.offsetOf(index);
    for (let i = 0; i < this.rawLength; i++) {
      const byte = chunk[base + i]!;
      out[at++] = HEX_DIGITS[byte >>> 4]!;
      out[at++] = HEX_DIGITS[byte & 15]!;
    }
    return at;
  }

  private chunkOf(index: number): Uint8Array {
    return this.chunks[index >>> CHUNK_SHIFT] as Uint8Array;
  }

  private offsetOf(index: number): number {
    return (index & (CHUNK_IDS - 1)) * this.rawLength;
  }

  /** The bucket holding the id (whose hash is `hash`), or -(free bucket + 1). */
  private probe(data: Uint8Array, offset: number, hash: number): number {
    const mask = this.bucketCount - 1;
    const raw = this.rawLength;
    const buckets = this.buckets;
    let bucket = hash & mask;
    for (;;) {
      const held = buckets[2 * bucket] as number;
      if (held === 0) return -bucket - 1;
      if (buckets[2 * bucket + 1] !== hash) {
        bucket = (bucket + 1) & mask;
        continue;
      }
      const chunk = this.chunkOf(held - 1);
      const base = this.offsetOf(held - 1);
      let same = true;
      for (let i = 0; i < raw; i++) {
        if (chunk[base + i] !== data[offset + i]) {
          same = false;
          break;
        }
      }
      if (same) return bucket;
      bucket = (bucket + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.buckets;
    this.bucketCount *= 2;
    this.buckets = new Int32Array(2 * this.bucketCount);
    const mask = this.bucketCount - 1;
    for (let at = 0; at < old.length; at += 2) {
      const held = old[at] as number;
      if (held === 0) continue;
      const hash = old[at + 1] as number;
      let bucket = hash & mask;
      while (this.buckets[2 * bucket] !== 0) bucket = (bucket + 1) & mask;
      this.buckets[2 * bucket] = held;
      this.buckets[2 * bucket + 1] = hash;
    }
  }
}
