import type { ObjectFormat } from './object-format.js';
import { objectIdFromRaw, type ObjectId } from './object-id.js';
import { rawIdHash, rawIdSeed } from './raw-id-hash.js';

/** Ids per storage chunk: chunks are never copied when the index grows. */
const CHUNK_IDS = 1 << 16;
const CHUNK_SHIFT = 16;
const INITIAL_BUCKETS = 1 << 12;
/** Most ids per bucket before the bucket array doubles (linear probing stays short below this). */
const MAX_LOAD = 0.5;

/**
 * Raw object ids (20 or 32 bytes) numbered 0, 1, 2… in order of first sight, so per-object data
 * can live in typed arrays indexed by that number and lists of objects can be lists of numbers.
 * Unlike `RawIdTable` an id's number never changes when the index grows. Memory: the raw ids in
 * chunks of 64k plus one 4-byte bucket per id at most twice over, about 28 bytes per SHA-1 id.
 * Lookups read the id straight from bytes (a tree entry, a digest): no string per lookup, and
 * a seeded hash of the whole id (`rawIdHash`: tree entries are chosen by the pusher).
 */
export class DenseIdIndex {
  private readonly chunks: Uint8Array[] = [];
  /** Index + 1 per bucket; 0 = empty. */
  private buckets = new Int32Array(INITIAL_BUCKETS);
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
    const found = this.probe(data, offset);
    if (found >= 0) return (this.buckets[found] as number) - 1;
    if (this.count + 1 > this.buckets.length * MAX_LOAD) {
      this.grow();
      return this.add(data, offset);
    }
    const index = this.count++;
    if (index >>> CHUNK_SHIFT === this.chunks.length)
      this.chunks.push(new Uint8Array(CHUNK_IDS * this.rawLength));
    this.chunkOf(index).set(data.subarray(offset, offset + this.rawLength), this.offsetOf(index));
    this.buckets[-found - 1] = index + 1;
    return index;
  }

  /** The number of the id at `data[offset…]`, or -1. */
  find(data: Uint8Array, offset: number): number {
    const found = this.probe(data, offset);
    return found >= 0 ? (this.buckets[found] as number) - 1 : -1;
  }

  /** The hex id numbered `index`; `format` is the one whose raw length the index was made for. */
  idAt(index: number, format: ObjectFormat): ObjectId {
    return objectIdFromRaw(this.chunkOf(index), this.offsetOf(index), format);
  }

  /** Byte `at` of the raw id numbered `index` (to bucket ids by their leading byte). */
  byteAt(index: number, at: number): number {
    return this.chunkOf(index)[this.offsetOf(index) + at] as number;
  }

  private chunkOf(index: number): Uint8Array {
    return this.chunks[index >>> CHUNK_SHIFT] as Uint8Array;
  }

  private offsetOf(index: number): number {
    return (index & (CHUNK_IDS - 1)) * this.rawLength;
  }

  /** The bucket holding the id, or -(free bucket + 1). */
  private probe(data: Uint8Array, offset: number): number {
    const mask = this.buckets.length - 1;
    const raw = this.rawLength;
    let bucket = rawIdHash(data, offset, this.rawLength, this.seed) & mask;
    for (;;) {
      const held = this.buckets[bucket] as number;
      if (held === 0) return -bucket - 1;
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
    this.buckets = new Int32Array(old.length * 2);
    const mask = this.buckets.length - 1;
    for (const held of old) {
      if (held === 0) continue;
      const chunk = this.chunkOf(held - 1);
      const base = this.offsetOf(held - 1);
      let bucket = rawIdHash(chunk, base, this.rawLength, this.seed) & mask;
      while (this.buckets[bucket] !== 0) bucket = (bucket + 1) & mask;
      this.buckets[bucket] = held;
    }
  }
}
