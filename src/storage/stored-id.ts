import type { ObjectId } from '../git/object-id.js';

/**
 * Brands an object id read back from the database. Safe without checking again: storage writes
 * id columns only from `ObjectId` values (parsed or hashed before they reach it). The schema
 * keeps those columns plain strings so that Kysely `where` calls take any string (a lookup by an
 * unchecked id simply finds nothing). With `src/git/object-id.ts`, the only unchecked conversion
 * to `ObjectId`.
 */
export function storedId(hex: string): ObjectId {
  return hex as ObjectId;
}

/** `storedId` for a list (a JSON column of parent ids, a selected column). */
export function storedIds(hexes: readonly string[]): ObjectId[] {
  return hexes.map(storedId);
}
