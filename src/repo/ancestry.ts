import type { ObjectId } from '../git/object-id.js';
import { CommitCache } from './common-commits.js';
import type { ObjectSource } from './served-repository.js';

/** Commits walked at most when looking for an ancestor (a bound for hostile pushes). */
export const MAX_ANCESTRY_WALK = 100_000;

/**
 * Walks the history of `start` (one commit or several) breadth-first (nearest first) and returns
 * the first commit for which `found` is true, or undefined. Bounded by `limit` commits. No commit is skipped for its
 * date: committer times are whatever clients wrote (a commit dated 2023 on top of one made by the
 * server today is ordinary), so a date cut-off would answer "no" for real ancestors.
 */
export async function findAncestor(
  objects: ObjectSource | CommitCache,
  start: ObjectId | readonly ObjectId[],
  found: (id: ObjectId) => Promise<boolean> | boolean,
  limit = MAX_ANCESTRY_WALK,
): Promise<ObjectId | undefined> {
  const commits = objects instanceof CommitCache ? objects : new CommitCache(objects);
  let level: ObjectId[] = typeof start === 'string' ? [start] : [...new Set(start)];
  const seen = new Set<ObjectId>(level);
  let walked = 0;
  while (level.length > 0) {
    const next: ObjectId[] = [];
    // One level at a time, read in one batch: a walk is as many round trips as it is deep.
    await commits.prefetch(level);
    for (const id of level) {
      if (await found(id)) return id;
      if (++walked >= limit) return undefined;
      for (const parent of (await commits.get(id))?.parents ?? []) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        next.push(parent);
      }
    }
    level = next;
  }
  return undefined;
}

/** True when `ancestor` is reachable from `descendant` (a fast-forward from one to the other). */
export async function isAncestor(
  objects: ObjectSource | CommitCache,
  ancestor: ObjectId,
  descendant: ObjectId,
): Promise<boolean> {
  return (await findAncestor(objects, descendant, (id) => id === ancestor)) !== undefined;
}

/**
 * True when every one of `ancestors` is reachable from one of `descendants`, found within
 * `limit` commits of them (false past that, or when one is not a commit).
 */
export async function allReachable(
  commits: CommitCache,
  ancestors: readonly ObjectId[],
  descendants: readonly ObjectId[],
  limit: number,
): Promise<boolean> {
  const pending = new Set(ancestors);
  if (pending.size === 0) return true;
  const lastFound = await findAncestor(
    commits,
    descendants,
    (id) => pending.delete(id) && pending.size === 0,
    limit,
  );
  return lastFound !== undefined;
}
