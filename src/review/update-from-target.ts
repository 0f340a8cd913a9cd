import type { ObjectId } from '../git/object-id.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import { buildViewCommit } from '../monorepo/synthetic-commit.js';
import { PendingObjects, type NewObject } from '../monorepo/pending-objects.js';
import { conflict, notFound } from '../platform/errors.js';
import type { MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';
import { mergeCommitTrees, newObjects } from './merge-plan.js';
import { targetRefOf } from './merge-target.js';
import type { ReviewDeps } from './review-deps.js';
import { appendAll } from '../platform/append-all.js';

export interface RebasedChange {
  readonly repoPath: string;
  /** The proposal replaced (compare-and-swap when the change is stored). */
  readonly oldHead: ObjectId;
  /** The target head the new proposal sits on. */
  readonly baseCommit: ObjectId;
  readonly headCommit: ObjectId;
}

/**
 * Builds, for each repository whose target head moved since the proposal, a new proposed commit
 * on the current head with the line-merged tree (the proposal's author line and message, the
 * actor as committer), and stores its objects; the caller records the new changes. Every
 * conflict is reported at once (409 `merge_conflict`, `details.files`) before anything is written.
 */
export async function rebaseOntoTargets(
  deps: ReviewDeps,
  record: MergeRequestRecord,
  committer: string,
): Promise<RebasedChange[]> {
  const { monorepo } = deps;
  const planned: Array<RebasedChange & { repoId: number; created: NewObject[]; linked: ObjectId[] }> = [];
  const conflicts: Array<{ repository: string; path: string }> = [];
  for (const change of record.changes) {
    const repository = await monorepo.repositories.find(change.repoPath);
    if (!repository) throw notFound('repository_not_found', `repository ${change.repoPath} no longer exists`);
    const headRef = targetRefOf(record, repository);
    const current = await monorepo.refs.get(repository.id, headRef);
    if (!current) throw conflict('merge_target_missing', `${change.repoPath} has no ${headRef}`);
    if (current === change.baseCommit || current === change.headCommit) continue;
    // One set of new objects per repository: each is written to its own repository.
    const objects = new PendingObjects(monorepo.objects.source);
    const reader = new ObjectReader(objects);
    const merged = await mergeCommitTrees(objects, reader, change.baseCommit, change.headCommit, current);
    if (merged.conflicts.length > 0) {
      appendAll(
        conflicts,
        merged.conflicts.map((path) => ({ repository: change.repoPath, path })),
      );
      continue;
    }
    const proposal = await reader.commit(change.headCommit);
    const headCommit = objects.put(
      'commit',
      buildViewCommit({
        tree: merged.tree,
        parents: [current],
        author: proposal.author,
        committer,
        message: proposal.message,
      }),
    );
    planned.push({
      repoPath: change.repoPath,
      repoId: repository.id,
      oldHead: change.headCommit,
      baseCommit: current,
      headCommit,
      ...(await newObjects(objects, reader, merged.currentTree, merged.tree)),
    });
  }
  if (conflicts.length > 0) {
    throw conflict(
      'merge_conflict',
      `merge request !${record.number} conflicts with changes made to its targets since it was opened`,
      { files: conflicts },
    );
  }
  for (const item of planned) {
    await monorepo.objects.write(item.repoId, item.created);
    await monorepo.objects.link(item.repoId, item.linked);
  }
  return planned.map(({ repoPath, oldHead, baseCommit, headCommit }) => ({
    repoPath,
    oldHead,
    baseCommit,
    headCommit,
  }));
}
