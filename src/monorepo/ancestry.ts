import type { ObjectId } from '../git/object-id.js';
import type { ObjectSource } from '../repo/served-repository.js';

/** Commits walked at most when looking for an ancestor (a bound for hostile pushes). */
export const MAX_ANCESTRY_WALK = 10_000;

/**
 * Walks the history of `start` breadth-first (newest first) and returns the first commit for
 * which `found` is true, or undefined. Bounded by `MAX_ANCESTRY_WALK` commits.
 */
export async function findAncestor(
  objects: ObjectSource,
  start: ObjectId,
  found: (id: ObjectId) => Promise<boolean>,
): Promise<ObjectId | undefined> {
  const queue: ObjectId[] = [start];
  const seen = new Set<ObjectId>(queue);
  for (let walked = 0; walked < MAX_ANCESTRY_WALK; walked++) {
    const id = queue.shift();
    if (id === undefined) break;
    if (await found(id)) return id;
    const commit = await objects.readCommit(id);
    for (const parent of commit?.parents ?? []) {
      if (!seen.has(parent)) {
        seen.add(parent);
        queue.push(parent);
      }
    }
  }
  return undefined;
}

/** True when `ancestor` is `descendant` or one of its ancestors. */
export async function isAncestor(
  objects: ObjectSource,
  ancestor: ObjectId,
  descendant: ObjectId,
): Promise<boolean> {
  return (await findAncestor(objects, descendant, async (id) => id === ancestor)) !== undefined;
}
