import type { ObjectId } from './object-id.js';

/**
 * The position of each id in a list of objects (the first, when an id repeats), answered from
 * typed arrays: an open-addressing table over the ids' first 32 bits, which are uniform (ids are
 * hashes). A clone's pack sender looks every delta's base up among half a million ids; a `Map`
 * of hex strings costs ~0.5–1 µs a lookup or insertion at that size (its growth, its chains, its
 * garbage), this a few tens of nanoseconds. Ids must be hex (any case works, as a worse hash).
 */
export class IdPositions {
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(private readonly ids: readonly { readonly id: ObjectId }[]) {
    let capacity = 16;
    while (capacity < ids.length * 2) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let position = 0; position < ids.length; position++) {
      const id = (ids[position] as { readonly id: ObjectId }).id;
      let slot = prefixOf(id) & this.mask;
      for (;;) {
        const held = this.slots[slot] as number;
        if (held === 0) {
          this.slots[slot] = position + 1;
          break;
        }
        if ((ids[held - 1] as { readonly id: ObjectId }).id === id) break;
        slot = (slot + 1) & this.mask;
      }
    }
  }

  /** The position of `id` in the list, or -1. */
  find(id: string): number {
    let slot = prefixOf(id) & this.mask;
    for (;;) {
      const held = this.slots[slot] as number;
      if (held === 0) return -1;
      if ((this.ids[held - 1] as { readonly id: ObjectId }).id === id) return held - 1;
      slot = (slot + 1) & this.mask;
    }
  }
}

/** The first 8 hex digits of `id` as a 32-bit number (without making a substring). */
function prefixOf(id: string): number {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const code = id.charCodeAt(i);
    value = (value << 4) | (code <= 57 ? code - 48 : (code | 32) - 87);
  }
  return value >>> 0;
}
