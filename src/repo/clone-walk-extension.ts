import type { ObjectId } from '../git/object-id.js';
import { CommitCache } from './common-commits.js';
import { walkObjects } from './object-walk.js';
import type { ObjectSource, WalkedObject } from './served-repository.js';
import { readTagTarget } from './tag-target.js';

/** New commits a push may add before extending gives way to a full walk (a bound per want set). */
export const MAX_EXTENSION_COMMITS = 100_000;
/** Tag chains are followed this deep (git's own peel limit is lower). */
const MAX_TAG_HOPS = 16;

/**
 * A full-clone walk for `wants` built from the recorded walk of `previousWants` instead of from
 * the whole repository (issue 20): after a push of one commit the recorder reads that commit, the
 * previous tip's tree and the new tree, not every tree of a 500k-object repository.
 *
 * `recorded` must be the walk of `previousWants` (the closure of what they reach, as
 * `fullCloneWalk` records it). The result is `recorded` followed by the objects only the new
 * wants reach, so it is the walk of `wants` exactly when everything `previousWants` reached is
 * still reached: every previous want must be a new want, or a commit the new history reaches
 * (a fast-forward). Otherwise (a ref deleted or rewound, a tag moved) the answer is undefined
 * and the caller walks the whole repository, as a clone would receive objects no ref reaches.
 */
export async function extendRecordedWalk(
  objects: ObjectSource,
  recorded: readonly WalkedObject[],
  previousWants: readonly ObjectId[],
  wants: readonly ObjectId[],
): Promise<WalkedObject[] | undefined> {
  const known = new Set<ObjectId>();
  for (const object of recorded) known.add(object.id);
  const kept = new Set(wants);
  const left = previousWants.filter((id) => !kept.has(id));
  const added = wants.filter((id) => !known.has(id));
  if (added.length === 0) return left.length === 0 ? [...recorded] : undefined;
  const commits = new CommitCache(objects);
  const starts = await peelToCommits(objects, commits, added);
  if (!starts) return undefined;
  const edges = await recordedEdges(commits, starts, known);
  if (!edges) return undefined;
  // What no longer is a want must be reached again through the new history, or it would stay.
  if (!left.every((id) => edges.has(id))) return undefined;
  const walk = await walkObjects(objects, commits, {
    wants: added,
    haves: [...edges],
    boundary: new Set(),
    known,
  });
  const extended: WalkedObject[] = [...recorded];
  for (const object of walk.objects) {
    if (known.has(object.id)) continue;
    known.add(object.id);
    extended.push(object);
  }
  return extended;
}

/** The commits `ids` peel to; undefined when one is not a commit (a tree or blob want): walk all. */
async function peelToCommits(
  objects: ObjectSource,
  commits: CommitCache,
  ids: readonly ObjectId[],
): Promise<ObjectId[] | undefined> {
  const peeled: ObjectId[] = [];
  await commits.prefetch(ids);
  for (const want of ids) {
    let id: ObjectId | undefined = want;
    for (let hops = 0; id !== undefined && !(await commits.get(id)); hops++)
      id = hops < MAX_TAG_HOPS ? await readTagTarget(objects, id) : undefined;
    if (id === undefined) return undefined;
    peeled.push(id);
  }
  return peeled;
}

/**
 * Walks the history of `starts` down to the first recorded commits (breadth-first, one batched
 * read per level) and returns those: the previous walk already holds everything below them.
 * Undefined past MAX_EXTENSION_COMMITS new commits or at a commit that cannot be read.
 */
async function recordedEdges(
  commits: CommitCache,
  starts: readonly ObjectId[],
  known: ReadonlySet<ObjectId>,
): Promise<Set<ObjectId> | undefined> {
  const edges = new Set<ObjectId>();
  const seen = new Set<ObjectId>();
  let level = [...new Set(starts)];
  let walked = 0;
  while (level.length > 0) {
    const next: ObjectId[] = [];
    const fresh = level.filter((id) => !known.has(id));
    await commits.prefetch(fresh);
    for (const id of level) {
      if (known.has(id)) {
        edges.add(id);
        continue;
      }
      if (++walked > MAX_EXTENSION_COMMITS) return undefined;
      const commit = await commits.get(id);
      if (!commit) return undefined;
      for (const parent of commit.parents) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        next.push(parent);
      }
    }
    level = next;
  }
  return edges;
}
