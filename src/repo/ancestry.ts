import type { ObjectId } from '../git/object-id.js';
import type { CommitCache } from './common-commits.js';

/** Commits an ancestry check may visit before answering "no" (keeps a push check bounded). */
export const ANCESTRY_WALK_LIMIT = 1_000_000;

/** True when `ancestor` is reachable from `descendant` (a fast-forward from one to the other). */
export async function isAncestor(
  commits: CommitCache,
  ancestor: ObjectId,
  descendant: ObjectId,
): Promise<boolean> {
  if (ancestor === descendant) return true;
  const target = await commits.get(ancestor);
  if (!target) return false;
  const stack = [descendant];
  const seen = new Set<ObjectId>(stack);
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const commit = await commits.get(next);
    if (!commit) continue;
    for (const parent of commit.parents) {
      if (parent === ancestor) return true;
      if (seen.has(parent) || seen.size > ANCESTRY_WALK_LIMIT) continue;
      seen.add(parent);
      // Commits older than the ancestor cannot lead to it (barring clock skew of a full day).
      const next = await commits.get(parent);
      if (next && next.committerTime + 86_400 >= target.committerTime) stack.push(parent);
    }
  }
  return false;
}
