import { randomInt } from 'node:crypto';

/**
 * The hash of a raw object id for the open-addressing tables of ids read from trees
 * (`RawIdTable`, `DenseIdIndex`). Ids in trees are whatever bytes a pusher wrote, not only hashes
 * of real objects: a bucket taken from a few fixed bytes let a tree of 40,000 entries sharing
 * them probe quadratically (68 s of CPU in a push's fsck). Every 32-bit word of the id goes into
 * the hash, mixed with a secret seed per table (`rawIdSeed`), so no chosen set of ids collides.
 */
export function rawIdHash(data: Uint8Array, offset: number, rawLength: number, seed: number): number {
  let hash = seed;
  for (let i = 0; i < rawLength; i += 4) {
    const word =
      (data[offset + i] as number) |
      ((data[offset + i + 1] as number) << 8) |
      ((data[offset + i + 2] as number) << 16) |
      ((data[offset + i + 3] as number) << 24);
    hash = Math.imul(hash ^ word, 0x9e3779b1);
    hash ^= hash >>> 15;
  }
  return hash;
}

/** A fresh secret seed for one table's `rawIdHash`. */
export function rawIdSeed(): number {
  return randomInt(1, 0x7fffffff);
}
