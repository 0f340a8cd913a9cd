import type { ObjectId } from '../git/object-id.js';
import type { ObjectFilter } from '../git/protocol/filter-spec.js';
import { forEachTreeChild } from '../git/tree-children.js';
import type { ObjectSource, WalkedObject } from './served-repository.js';

/**
 * Partial clones from a recorded walk. The unfiltered walk of a clone's wants (recorded after a
 * push) holds every object a filter of the same wants keeps, so what the filter drops is decided
 * without walking the repository's trees, as git decides it from its reachability bitmaps:
 * - `blob:none`, `tree:0`: by type alone;
 * - `blob:limit=<n>`: by the blobs' stored sizes, read in bulk (by row key when the record has it);
 * - `tree:<n>`: by depth, reading only the trees whose children are still above depth n (none for
 *   `tree:1`: the commits' root trees are in the commit table).
 * Commits and tags are always kept, and so is every object in `explicit` (the wants and what they
 * peel to), whatever the filter. The objects keep the record's order and row keys.
 * Undefined when the source cannot say (a commit or tree of the record unknown to it).
 */
export async function filterRecordedWalk(
  source: ObjectSource,
  unfiltered: readonly WalkedObject[],
  explicit: ReadonlySet<ObjectId>,
  filter: ObjectFilter,
): Promise<readonly WalkedObject[] | undefined> {
  const kept = await keptByFilter(source, unfiltered, explicit, filter);
  return (
    kept &&
    unfiltered.filter(
      (object) =>
        object.type === 'commit' || object.type === 'tag' || explicit.has(object.id) || kept(object),
    )
  );
}

/** Which trees and blobs of `unfiltered` the filter keeps (besides the explicit objects). */
async function keptByFilter(
  source: ObjectSource,
  unfiltered: readonly WalkedObject[],
  explicit: ReadonlySet<ObjectId>,
  filter: ObjectFilter,
): Promise<((object: WalkedObject) => boolean) | undefined> {
  if (filter.kind === 'blob:none') return (object) => object.type === 'tree';
  if (filter.kind === 'blob:limit') {
    const blobs = unfiltered.filter((object) => object.type === 'blob');
    const large = await source.sizesAtLeast(blobs, filter.limit);
    return (object) => object.type === 'tree' || !large.has(object.id);
  }
  const commits = unfiltered.filter((object) => object.type === 'commit').map((object) => object.id);
  const trees = unfiltered.filter((object) => object.type === 'tree' && explicit.has(object.id));
  const shallow = await shallowerThan(
    source,
    commits,
    trees.map((tree) => tree.id),
    filter.depth,
  );
  return shallow && ((object) => shallow.has(object.id));
}

/**
 * The trees and blobs above `depth` (git's `tree:<depth>` keeps those): a root tree, of one of
 * `commitIds` (the walk's) or of `explicitTrees` (wanted itself), is at depth 0, its entries at 1, and so on; an object found at
 * several depths counts at its least (git walks a tree again when it meets it higher up). Level
 * by level, reading only the trees whose entries are still above `depth`.
 */
export async function shallowerThan(
  source: ObjectSource,
  commitIds: readonly ObjectId[],
  explicitTrees: readonly ObjectId[],
  depth: number,
): Promise<Set<ObjectId> | undefined> {
  const found = new Set<ObjectId>();
  if (depth === 0) return found;
  const commits = await source.readCommits(commitIds);
  if (commits.size !== commitIds.length) return undefined;
  let level: ObjectId[] = [];
  const enter = (id: ObjectId, isTree: boolean) => {
    if (found.has(id)) return;
    found.add(id);
    if (isTree) level.push(id);
  };
  for (const commit of commits.values()) enter(commit.tree, true);
  for (const tree of explicitTrees) enter(tree, true);
  for (let below = 1; below < depth && level.length > 0; below++) {
    const trees = level;
    level = [];
    let read = 0;
    for await (const tree of source.readObjects(trees)) {
      read++;
      if (tree.type === 'tree') forEachTreeChild(tree.content, enter);
    }
    if (read !== trees.length) return undefined;
  }
  return found;
}
