import type { ObjectId } from '../git/object-id.js';
import { rawIdSeed } from '../git/raw-id-hash.js';
import type { WalkedObject } from './served-repository.js';

/** Hex digits of an id hashed into its slot: 64 bits, so no chosen set of ids shares one. */
const HASHED_HEX_DIGITS = 16;
/** Slots per listed object at least (linear probing stays short at half load). */
const SLOTS_PER_OBJECT = 2;

/** Value of each ASCII code as a hex digit (0 for anything else: ids were checked before). */
const HEX_VALUES = new Uint8Array(128);
for (let digit = 0; digit < 16; digit++) {
  HEX_VALUES[digit.toString(16).charCodeAt(0)] = digit;
  HEX_VALUES[digit.toString(16).toUpperCase().charCodeAt(0)] = digit;
}

/**
 * The position of each object of a pack's list, by id: an open-addressing table of positions in
 * one `Int32Array`, each slot found from the id's first 64 bits mixed with a secret seed. Made
 * once for half a million objects it costs a fraction of a `Map` of their hex ids (no entry
 * objects, nothing for the garbage collector to trace); a lookup compares the listed id, which
 * is a cache miss or two, so it suits the few lookups a recorded walk's pack needs (a delta's base
 * outside its batch), not one per object.
 */
export class PackListIndex {
  /** Per slot: a position in the list plus one (0 = empty). */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly seed = rawIdSeed();

  constructor(private readonly list: readonly WalkedObject[]) {
    let capacity = 16;
    while (capacity < list.length * SLOTS_PER_OBJECT) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let position = 0; position < list.length; position++) {
      let slot = this.slotOf((list[position] as WalkedObject).id);
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = position + 1;
    }
  }

  /** The first position of `id` in the list, or -1 when it is not listed. */
  positionOf(id: ObjectId): number {
    for (let slot = this.slotOf(id); ; slot = (slot + 1) & this.mask) {
      const position = (this.slots[slot] as number) - 1;
      if (position < 0) return -1;
      if ((this.list[position] as WalkedObject).id === id) return position;
    }
  }

  private slotOf(id: string): number {
    let hash = this.seed;
    for (let start = 0; start < HASHED_HEX_DIGITS; start += 8) {
      let word = 0;
      for (let index = start; index < start + 8; index++) {
        word = (word << 4) | (HEX_VALUES[id.charCodeAt(index) & 0x7f] as number);
      }
      hash = Math.imul(hash ^ word, 0x9e3779b1);
      hash ^= hash >>> 15;
    }
    return hash & this.mask;
  }
}
