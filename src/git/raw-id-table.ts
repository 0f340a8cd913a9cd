import type { ObjectFormat } from './object-format.js';
import { objectIdFromRaw, type ObjectId } from './object-id.js';
import { rawIdHash, rawIdSeed } from './raw-id-hash.js';

/** Most slots filled before the table doubles (linear probing stays short below this). */
const MAX_LOAD = 0.7;
const INITIAL_CAPACITY = 1 << 12;

/**
 * An open-addressing hash table of raw object ids (20 or 32 bytes) with two small values per
 * id, read straight from the bytes of a tree: no string per tree entry, no per-entry garbage.
 * A pack's fsck looks up every entry of every tree here, which made a `Map` keyed by strings its
 * largest cost. Entries are the pusher's bytes: buckets come from a seeded hash of the whole id
 * (`rawIdHash`).
 */
export class RawIdTable {
  private capacity = INITIAL_CAPACITY;
  private ids: Uint8Array;
  /**
   * Per slot: the id's hash with its lowest bit set (0 = empty). A probe compares it before the
   * id, so passing another id's slot reads no id bytes (a cache miss each in a table of tens of
   * megabytes).
   */
  private tags: Int32Array;
  /** First value (PackFsck: who links to the id and as what); 0 = none. */
  link: Int32Array;
  /** Second value (PackFsck: the id's type in the pack); 0 = unknown. */
  type: Uint8Array;
  private count = 0;
  private readonly seed = rawIdSeed();

  constructor(private readonly rawLength: number) {
    this.ids = new Uint8Array(this.capacity * rawLength);
    this.tags = new Int32Array(this.capacity);
    this.link = new Int32Array(this.capacity);
    this.type = new Uint8Array(this.capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The slot of the id at `data[offset…]`, added when absent. Slots change when the table grows. */
  slot(data: Uint8Array, offset: number): number {
    const hash = rawIdHash(data, offset, this.rawLength, this.seed);
    const found = this.probe(data, offset, hash);
    if (found >= 0) return found;
    if (this.count + 1 > this.capacity * MAX_LOAD) {
      this.grow();
      return this.slot(data, offset);
    }
    const free = -found - 1;
    const ids = this.ids;
    const at = free * this.rawLength;
    for (let i = 0; i < this.rawLength; i++) ids[at + i] = data[offset + i] as number;
    this.tags[free] = hash | 1;
    this.count++;
    return free;
  }

  /** The slot of the id, or -1. */
  find(data: Uint8Array, offset: number): number {
    const found = this.probe(data, offset, rawIdHash(data, offset, this.rawLength, this.seed));
    return found >= 0 ? found : -1;
  }

  /** Slots in use. */
  *slots(): Generator<number> {
    for (let i = 0; i < this.capacity; i++) if (this.tags[i] !== 0) yield i;
  }

  /** The id held in `slot`; `format` is the one whose raw length the table was made for. */
  idAt(slot: number, format: ObjectFormat): ObjectId {
    return objectIdFromRaw(this.ids, slot * this.rawLength, format);
  }

  /** The slot holding the id (whose hash is `hash`), or -(free slot + 1). */
  private probe(data: Uint8Array, offset: number, hash: number): number {
    const mask = this.capacity - 1;
    const raw = this.rawLength;
    const ids = this.ids;
    const tags = this.tags;
    const tag = hash | 1;
    let index = hash & mask;
    for (;;) {
      const held = tags[index] as number;
      if (held === 0) return -index - 1;
      if (held !== tag) {
        index = (index + 1) & mask;
        continue;
      }
      const base = index * raw;
      let same = true;
      for (let i = 0; i < raw; i++) {
        if (ids[base + i] !== data[offset + i]) {
          same = false;
          break;
        }
      }
      if (same) return index;
      index = (index + 1) & mask;
    }
  }

  private grow(): void {
    const old = {
      ids: this.ids,
      tags: this.tags,
      link: this.link,
      type: this.type,
      capacity: this.capacity,
    };
    this.capacity *= 2;
    this.ids = new Uint8Array(this.capacity * this.rawLength);
    this.tags = new Int32Array(this.capacity);
    this.link = new Int32Array(this.capacity);
    this.type = new Uint8Array(this.capacity);
    this.count = 0;
    for (let i = 0; i < old.capacity; i++) {
      if (old.tags[i] === 0) continue;
      const slot = this.slot(old.ids, i * this.rawLength);
      this.link[slot] = old.link[i] as number;
      this.type[slot] = old.type[i] as number;
    }
  }
}
