import { parseCommit } from '../git/commit.js';
import type { ObjectId } from '../git/object-id.js';
import { entryKind } from '../git/tree.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import { notFound, tooLarge, unavailable } from '../platform/errors.js';
import type { ViewCommitRecord } from '../storage/monorepo/view-commit-store.js';
import type { ServeMode } from './clone-rules.js';
import { expandDirectory, type RepositoryHead, type ViewLink } from './expand-directory.js';
import type { LocatedPath } from './locate-path.js';
import type { DirectoryHead, MegaDirectory } from './mega-directory.js';
import { PendingObjects } from './pending-objects.js';
import type { MonorepoDeps } from './ports.js';
import { buildViewCommit, directoryViewMessage, megaIdent } from './synthetic-commit.js';
import { entryAtPath } from './tree-edit.js';

/** A served view: the chain tip for its path and what it shows. */
export interface DirectoryView {
  readonly path: string;
  readonly commit: ObjectId;
  readonly tree: ObjectId;
  readonly links: readonly ViewLink[];
  readonly directoryCommit: ObjectId;
}

const APPEND_ATTEMPTS = 5;
/** git's empty tree: an expanded directory with nothing in it still needs a tree. */
const EMPTY_TREE = Buffer.alloc(0);

interface ViewState {
  readonly tree: ObjectId;
  readonly links: readonly ViewLink[];
  readonly author: string;
  readonly committer: string;
  readonly message: string;
}

/**
 * Computes the synthetic views of SPEC §6 (`expanded-directory`, `repository-head`,
 * `repository-subtree`) and keeps their history chains (see `synthetic-commit.ts` for the design):
 * the same inputs give the same commit ids on every server, and a changed state becomes a child
 * of the previous tip so that clients fast-forward.
 */
export class DirectoryViews {
  constructor(
    private readonly deps: MonorepoDeps,
    private readonly directory: MegaDirectory,
  ) {}

  async view(located: LocatedPath, mode: ServeMode, head: DirectoryHead): Promise<DirectoryView> {
    for (let attempt = 1; ; attempt++) {
      const objects = new PendingObjects(this.deps.objects.source);
      const state = await this.computeState(located, mode, head, objects);
      const tip = await this.deps.views.tip(located.path);
      if (tip && tip.treeId === state.tree) return toView(tip);
      const commit =
        (tip && (await this.mergedPushWithTree(located.path, tip.commitId, state.tree))) ??
        objects.put('commit', buildViewCommit({ ...state, parent: tip?.commitId }));
      // The directory repository holds every object its views show, so that a push to a view
      // (stored there until it becomes a merge request) can use any of them as a thin-pack base.
      await this.deps.objects.write(head.repository.id, objects.take());
      await this.linkShownRepositories(head.repository.id, state.links, (tip?.links ?? []) as ViewLink[]);
      const record: ViewCommitRecord = {
        viewPath: located.path,
        commitId: commit,
        treeId: state.tree,
        parentId: tip?.commitId,
        directoryCommit: head.commit,
        links: state.links,
      };
      if (await this.deps.views.append(record)) return toView(record);
      if (attempt >= APPEND_ATTEMPTS)
        throw unavailable('view_busy', 'directory view is being updated, try again');
    }
  }

  /** Links the objects of each repository whose shown commit changed since the previous step. */
  private async linkShownRepositories(
    directoryId: number,
    links: readonly ViewLink[],
    before: readonly ViewLink[],
  ): Promise<void> {
    const seen = new Map(before.map((link) => [link.repoPath, link.commit]));
    for (const link of links) {
      if (seen.get(link.repoPath) === link.commit) continue;
      const repository = await this.deps.repositories.find(link.repoPath);
      if (repository) await this.deps.objects.linkRepository(directoryId, repository.id);
    }
  }

  /** A merged push based on `tip` whose tree is the view's next tree (see `MonorepoDeps`). */
  private async mergedPushWithTree(
    path: string,
    tip: ObjectId,
    tree: ObjectId,
  ): Promise<ObjectId | undefined> {
    for (const pushed of await this.deps.mergedPushes(path, tip)) {
      if ((await this.deps.objects.source.readCommit(pushed))?.tree === tree) return pushed;
    }
    return undefined;
  }

  /** A commit of a view's chain (for mapping a push back), or undefined. */
  async findViewCommit(path: string, commit: ObjectId): Promise<DirectoryView | undefined> {
    const record = await this.deps.views.find(path, commit);
    return record ? toView(record) : undefined;
  }

  /** The head commit of a hosted repository, or undefined when it has none. */
  async repositoryHead(repoPath: string): Promise<RepositoryHead | undefined> {
    const repository = await this.deps.repositories.find(repoPath);
    if (!repository) return undefined;
    const commit = await this.deps.refs.get(repository.id, repository.headRef);
    if (!commit) return undefined;
    const summary = await this.deps.objects.source.readCommit(commit);
    if (!summary) return undefined;
    return {
      commit,
      tree: summary.tree,
      committerTime: summary.committerTime,
      size: await this.deps.objects.repositorySize(repository.id),
    };
  }

  private async computeState(
    located: LocatedPath,
    mode: ServeMode,
    head: DirectoryHead,
    objects: PendingObjects,
  ): Promise<ViewState> {
    const reader = new ObjectReader(objects);
    if (mode === 'expanded-directory' && located.shape === 'directory') {
      const expanded = await expandDirectory(reader, objects, located.tree, (path) =>
        this.repositoryHead(path),
      );
      if (expanded.size > this.deps.cloneLimit) {
        throw tooLarge(
          'clone_limit_exceeded',
          `${located.path} expands to ${formatBytes(expanded.size)}, more than the clone limit of ${formatBytes(this.deps.cloneLimit)} (MEGA_CLONE_LIMIT): clone a narrower path, e.g. one repository under ${located.path}`,
          { size: expanded.size, limit: this.deps.cloneLimit, path: located.path },
        );
      }
      const directoryTime = (await this.deps.objects.source.readCommit(head.commit))?.committerTime ?? 0;
      const ident = megaIdent(Math.max(expanded.newestTime, directoryTime));
      return {
        tree: expanded.tree ?? objects.put('tree', EMPTY_TREE),
        links: expanded.links,
        author: ident,
        committer: ident,
        message: directoryViewMessage(
          located.path,
          head.commit,
          expanded.links.map((link) => ({ repoPath: link.repoPath, commit: link.commit })),
        ),
      };
    }
    if (
      (mode === 'repository-head' || mode === 'repository-subtree') &&
      (located.shape === 'repository' || located.shape === 'subdirectory')
    ) {
      const repoHead = await this.repositoryHead(located.repoPath);
      if (!repoHead) throw notFound('repository_empty', `repository ${located.repoPath} has no commits yet`);
      const commit = parseCommit(await reader.readTyped(repoHead.commit, 'commit'));
      const entry = await entryAtPath(reader, commit.tree, located.subdir);
      if (!entry || entryKind(entry.mode) !== 'tree') {
        throw notFound(
          'directory_path_not_found',
          `no directory ${located.subdir.join('/')} in ${located.repoPath}`,
        );
      }
      return {
        tree: entry.id,
        links: [{ at: '', repoPath: located.repoPath, commit: repoHead.commit, subdir: located.subdir }],
        author: commit.author,
        committer: commit.committer,
        message: commit.message,
      };
    }
    throw notFound('directory_view_unavailable', `${located.path} cannot be served as ${mode}`);
  }
}

function toView(record: ViewCommitRecord): DirectoryView {
  return {
    path: record.viewPath,
    commit: record.commitId,
    tree: record.treeId,
    links: record.links as ViewLink[],
    directoryCommit: record.directoryCommit,
  };
}

/** `1.5 MiB (1572864 bytes)`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
  return unit === 0 ? shown : `${shown} (${bytes} bytes)`;
}
