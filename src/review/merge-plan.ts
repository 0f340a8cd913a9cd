import type { ObjectId } from '../git/object-id.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import { diffTrees, type FileChange } from '../repo/browse/tree-diff.js';
import { objectsIntroduced } from '../monorepo/object-closure.js';
import { PendingObjects, type NewObject } from '../monorepo/pending-objects.js';
import { buildViewCommit } from '../monorepo/synthetic-commit.js';
import { applyChanges } from '../monorepo/tree-edit.js';
import type { ObjectSource } from '../repo/served-repository.js';

/** Files compared per side at most when merging (a bound for huge merge requests). */
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
 * moved since the proposal, otherwise a three-way merge at file level (a file changed on both
 * sides differently, or a file on one side where the other has a directory, is a conflict) that
 * ends in a merge commit with the branch head and the proposed commit as parents.
 */
export async function planRepositoryMerge(
  source: ObjectSource,
  input: RepositoryMergeInput,
): Promise<RepositoryMergePlan> {
  if (input.current === input.proposed) return { kind: 'up-to-date' };
  if (input.current === input.base) return { kind: 'fast-forward', next: input.proposed };
  const objects = new PendingObjects(source);
  const reader = new ObjectReader(objects);
  const baseTree = (await reader.commit(input.base)).tree;
  const proposedTree = (await reader.commit(input.proposed)).tree;
  const currentTree = (await reader.commit(input.current)).tree;
  const ours = await diffTrees(reader, baseTree, proposedTree, MAX_MERGE_FILES);
  const theirs = await diffTrees(reader, baseTree, currentTree, MAX_MERGE_FILES);
  const conflicts = conflictingPaths(ours, theirs);
  if (conflicts.length > 0) return { kind: 'conflict', paths: conflicts };
  const theirsByPath = new Map(theirs.map((change) => [change.path, change]));
  const toApply = ours.filter((change) => !sameResult(change, theirsByPath.get(change.path)));
  const merged = await applyChanges(reader, objects, currentTree, toApply);
  const tree = merged ?? objects.put('tree', Buffer.alloc(0));
  const next = objects.put(
    'commit',
    buildViewCommit({
      tree,
      parents: [input.current, input.proposed],
      author: input.ident,
      committer: input.ident,
      message: input.message,
    }),
  );
  const created = objects.take();
  const createdIds = new Set(created.map((object) => object.id));
  const introduced = await objectsIntroduced(reader, currentTree, tree);
  return { kind: 'merge', next, created, linked: introduced.filter((id) => !createdIds.has(id)) };
}

function sameResult(a: FileChange, b: FileChange | undefined): boolean {
  return b !== undefined && a.newId === b.newId && a.newMode === b.newMode;
}

/** Paths both sides changed with different results, including file/directory clashes. */
export function conflictingPaths(ours: readonly FileChange[], theirs: readonly FileChange[]): string[] {
  const theirsByPath = new Map(theirs.map((change) => [change.path, change]));
  const theirDirs = new Set<string>();
  for (const change of theirs) {
    const parts = change.path.split('/');
    for (let i = 1; i < parts.length; i++) theirDirs.add(parts.slice(0, i).join('/'));
  }
  const out = new Set<string>();
  for (const change of ours) {
    const other = theirsByPath.get(change.path);
    if (other && !sameResult(change, other)) out.add(change.path);
    // Our new file where their side now has a directory (or the reverse).
    if (change.newId && theirDirs.has(change.path)) out.add(change.path);
    const parts = change.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const clash = theirsByPath.get(prefix);
      if (clash?.newId) out.add(change.path);
    }
  }
  return [...out].sort();
}
