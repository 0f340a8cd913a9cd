import type { ObjectId } from '../git/object-id.js';
import { FileMode, entryKind } from '../git/tree.js';
import type { ObjectReader } from '../repo/browse/object-reader.js';
import { diffTrees, type FileChange } from '../repo/browse/tree-diff.js';
import { invalid } from '../platform/errors.js';
import { README_NAME } from './directory-files.js';
import type { ViewLink } from './expand-directory.js';
import type { PendingObjects } from './pending-objects.js';
import { entryAtPath, replaceAtPath } from './tree-edit.js';

/** Changed paths examined per push at most (a bound for hostile pushes). */
export const MAX_MAPPED_CHANGES = 100_000;

export interface MappedRepositoryChange {
  readonly link: ViewLink;
  /** The repository's new root tree. */
  readonly tree: ObjectId;
  readonly baseTree: ObjectId;
}

/**
 * Maps a pushed tree back onto the repositories a view shows (SPEC §6 push rules): the change
 * under each link becomes a new root tree of that repository, built on the commit the view showed.
 * Removing a whole repository is refused, and so are changes outside every repository, with a
 * reason the git client prints; except, when `directoryFiles` is given, README-type files, which
 * are collected there (view-relative paths) for the caller to check and propose as a change of
 * the directory repository `/` (issue 22, "the directory's own files").
 */
export async function mapPushOntoRepositories(
  reader: ObjectReader,
  objects: PendingObjects,
  viewTree: ObjectId,
  pushedTree: ObjectId,
  links: readonly ViewLink[],
  directoryFiles?: FileChange[],
): Promise<MappedRepositoryChange[]> {
  const changes = await diffTrees(reader, viewTree, pushedTree, MAX_MAPPED_CHANGES + 1);
  if (changes.length > MAX_MAPPED_CHANGES) {
    throw invalid('push_too_many_changes', `push changes more than ${MAX_MAPPED_CHANGES} files`);
  }
  const touched = new Map<string, ViewLink>();
  for (const change of changes) {
    const link = links.find((candidate) => candidate.at === '' || change.path.startsWith(`${candidate.at}/`));
    if (!link && directoryFiles && !links.some((candidate) => candidate.at === change.path)) {
      if (README_NAME.test(change.path.slice(change.path.lastIndexOf('/') + 1))) {
        directoryFiles.push(change);
        continue;
      }
    }
    if (!link) {
      const owner = links.find((candidate) => candidate.at === change.path);
      throw invalid(
        'push_outside_repository',
        owner
          ? `cannot remove or replace repository ${owner.repoPath} by a push`
          : `${change.path} is not inside a repository: only README files of directories can change outside repositories, or push to a new path to create a repository`,
      );
    }
    touched.set(link.at, link);
  }
  const out: MappedRepositoryChange[] = [];
  for (const link of touched.values()) {
    const subtree =
      link.at === ''
        ? { mode: FileMode.tree, id: pushedTree }
        : await entryAtPath(reader, pushedTree, link.at.split('/'));
    if (!subtree || entryKind(subtree.mode) !== 'tree') {
      throw invalid(
        'push_outside_repository',
        `cannot remove or replace repository ${link.repoPath} by a push`,
      );
    }
    const baseTree = (await reader.commit(link.commit)).tree;
    const tree = await replaceAtPath(reader, objects, baseTree, link.subdir, subtree);
    if (!tree) throw invalid('push_empties_repository', `push would leave ${link.repoPath} empty`);
    if (tree !== baseTree) out.push({ link, tree, baseTree });
  }
  return out.sort((a, b) => (a.link.repoPath < b.link.repoPath ? -1 : 1));
}
