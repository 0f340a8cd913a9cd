import type { ObjectId } from '../git/object-id.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import { mergeTrees, type MergeObjects, type TreeMergeResult } from '../git/merge/merge-trees.js';
import { objectsIntroduced } from '../monorepo/object-closure.js';
import { PendingObjects, type NewObject } from '../monorepo/pending-objects.js';
import { buildViewCommit } from '../monorepo/synthetic-commit.js';
import type { ObjectSource } from '../repo/served-repository.js';

/** Tree entries compared at most when merging (a bound for huge merge requests). */
export const MAX_MERGE_FILES = 100_000;

export interface RepositoryMergeInput {
  readonly base: ObjectId;
  /** The proposed commit (child of `base`). */
  readonly proposed: ObjectId;
  /** The branch head now. */
  readonly current: ObjectId;
  readonly message: string;
  /** Ident line of whoever merges. */
  readonly ident: string;
  /**
   * One parent only (the branch head): for a target other than the branch the proposal was made
   * on (`-o mr.target=…`), whose history must not take in the proposal's base history.
   */
  readonly squash?: boolean;
}

export type RepositoryMergePlan =
  | { readonly kind: 'up-to-date' }
  | { readonly kind: 'fast-forward'; readonly next: ObjectId }
  | {
      readonly kind: 'merge';
      readonly next: ObjectId;
      readonly created: NewObject[];
      readonly linked: ObjectId[];
    }
  | { readonly kind: 'conflict'; readonly paths: readonly string[] };

/**
 * Plans how one repository's branch takes a merge request: a fast-forward when the branch has not
 * moved since the proposal, otherwise a three-way merge of the trees with line-level file merges
 * (`src/git/merge`, git's semantics) that ends in a merge commit with the branch head and the
 * proposed commit as parents, or the list of conflicting paths.
 */
export async function planRepositoryMerge(
  source: ObjectSource,
  input: RepositoryMergeInput,
): Promise<RepositoryMergePlan> {
  if (input.current === input.proposed) return { kind: 'up-to-date' };
  if (input.current === input.base) return { kind: 'fast-forward', next: input.proposed };
  const objects = new PendingObjects(source);
  const reader = new ObjectReader(objects);
  const merged = await mergeCommitTrees(objects, reader, input.base, input.proposed, input.current);
  if (merged.conflicts.length > 0) return { kind: 'conflict', paths: merged.conflicts };
  const next = objects.put(
    'commit',
    buildViewCommit({
      tree: merged.tree,
      parents: input.squash ? [input.current] : [input.current, input.proposed],
      author: input.ident,
      committer: input.ident,
      message: input.message,
    }),
  );
  return { kind: 'merge', next, ...(await newObjects(objects, reader, merged.currentTree, merged.tree)) };
}

/**
 * Merges what `proposed` changed since `base` into `current`'s tree: "ours" is the target head,
 * "theirs" the proposal (conflict markers name them so).
 */
export async function mergeCommitTrees(
  objects: PendingObjects,
  reader: ObjectReader,
  base: ObjectId,
  proposed: ObjectId,
  current: ObjectId,
): Promise<TreeMergeResult & { currentTree: ObjectId }> {
  const [baseTree, proposedTree, currentTree] = [
    (await reader.commit(base)).tree,
    (await reader.commit(proposed)).tree,
    (await reader.commit(current)).tree,
  ];
  const merged = await mergeTrees(mergeObjectsOver(objects, reader), baseTree, currentTree, proposedTree, {
    maxEntries: MAX_MERGE_FILES,
    oursLabel: 'target',
    theirsLabel: 'proposed',
  });
  return { ...merged, currentTree };
}

/**
 * Trees through the reader's parsed-tree cache, blobs whole; new trees and blobs go to the pending
 * objects. A merge asks for a directory level's objects at once, which the stored source answers
 * in batches (`AnyRepositoryObjects`).
 */
export function mergeObjectsOver(objects: PendingObjects, reader: ObjectReader): MergeObjects {
  return {
    tree: (id) => reader.tree(id),
    blob: (id) => reader.readTyped(id, 'blob'),
    put: (type, content) => objects.put(type, content),
  };
}

/** The objects a merge created, and the stored ones its tree newly reaches (to link to the repository). */
export async function newObjects(
  objects: PendingObjects,
  reader: ObjectReader,
  fromTree: ObjectId,
  toTree: ObjectId,
): Promise<{ created: NewObject[]; linked: ObjectId[] }> {
  const created = objects.take();
  const createdIds = new Set(created.map((object) => object.id));
  const introduced = await objectsIntroduced(reader, fromTree, toTree);
  return { created, linked: introduced.filter((id) => !createdIds.has(id)) };
}
