import { parseCommit } from '../git/commit.js';
import type { ObjectId } from '../git/object-id.js';
import { entryKind } from '../git/tree.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import { notFound, tooLarge, unavailable } from '../platform/errors.js';
import type { PathReader } from '../repo/served-repository.js';
import type { MergedPush } from '../storage/monorepo/merge-request-store.js';
import type { ViewChain, ViewCommitRecord } from '../storage/monorepo/view-commit-store.js';
import type { ServeMode } from './clone-rules.js';
import { DirectoryScans, bLinksOf, readerShare, type ReaderShare } from './directory-scan.js';
import {
  expandDirectory,
  filterDirectory,
  type DirectoryScope,
  type RepositoryHead,
  type ViewLink,
} from './expand-directory.js';
import type { LocatedPath } from './locate-path.js';
import { INIT_TIME, type DirectoryHead, type MegaDirectory } from './mega-directory.js';
import { PendingObjects } from './pending-objects.js';
import type { MonorepoDeps } from './ports.js';
import { buildViewCommit, directoryViewMessage, megaIdent } from './synthetic-commit.js';
import { entryAtPath } from './tree-edit.js';

/** A served view: the chain tip for its path and what it shows. */
export interface DirectoryView {
  readonly path: string;
  /** The chain the view is on: its path and the paths left out for the reader. */
  readonly chain: ViewChain;
  readonly commit: ObjectId;
  readonly tree: ObjectId;
  readonly links: readonly ViewLink[];
  readonly directoryCommit: ObjectId;
}

const APPEND_ATTEMPTS = 5;
/** Merged merge requests of a view path looked at for the next step (newest first). */
const MERGED_PUSHES_CONSIDERED = 50;
/** Chain steps walked back from the tip to find what merged pushes it already contains. */
const MAX_CHAIN_STEPS_WALKED = 200;
/** Chains whose last computed state this process remembers (see `keptTip`). */
const STATES_KEPT = 1024;
/** git's empty tree: an expanded directory with nothing in it still needs a tree. */
const EMPTY_TREE = Buffer.alloc(0);

interface ViewState {
  readonly tree: ObjectId;
  readonly links: readonly ViewLink[];
  /** What the reader may not read and the view leaves out (the chain's key). */
  readonly hidden: readonly string[];
  /** Bytes of the shown repositories (expanded directories), for the clone limit. */
  readonly size?: number;
  /** The identities and message of a new step (computed only when one is needed). */
  commitFields(): Promise<CommitFields>;
}

interface CommitFields {
  readonly author: string;
  readonly committer: string;
  readonly message: string;
}

type StateOf = (objects: PendingObjects) => Promise<ViewState>;

/**
 * Computes the synthetic views of SPEC §6 (`expanded-directory`, `repository-head`,
 * `repository-subtree`, and the root `/` filtered for a reader who may not read all of it) and
 * keeps their history chains (see `synthetic-commit.ts` for the design): the same inputs give the
 * same commit ids on every server, and a changed state becomes a child of the previous tip so
 * that clients fast-forward.
 */
export class DirectoryViews {
  private readonly scans = new DirectoryScans();
  /** Per chain: the digest of the directory files its last computed state was built from. */
  private readonly computed = new Map<
    string,
    { readonly digest: string; readonly commit: ObjectId; readonly withinLimit: boolean }
  >();

  constructor(
    private readonly deps: MonorepoDeps,
    private readonly directory: MegaDirectory,
  ) {}

  /**
   * `sizeLimited` (the default) refuses an expanded directory above the clone limit (413); a
   * write (a push's advertisement, the commits API) computes it anyway: the limit bounds what a
   * clone transfers, and the seed sends changes to such a directory through the API.
   */
  async view(
    located: LocatedPath,
    mode: ServeMode,
    head: DirectoryHead,
    reader: PathReader,
    options: { readonly sizeLimited?: boolean } = {},
  ): Promise<DirectoryView> {
    const sizeLimited = options.sizeLimited ?? true;
    if (mode !== 'expanded-directory' || located.shape !== 'directory') {
      return this.serve(located.path, head, (objects) =>
        this.computeState(located, mode, head, objects, { prefix: located.path, reader }, sizeLimited),
      );
    }
    const files = await this.scans.files(new ObjectReader(this.deps.objects.source), located.tree);
    const share = readerShare(files, located.path, reader);
    const chain = { viewPath: located.path, hidden: share.hidden };
    const kept = await this.keptTip(chain, share, true, sizeLimited);
    if (kept) return kept;
    const scope: DirectoryScope = { prefix: located.path, reader, bLinks: bLinksOf(files) };
    let withinLimit = true;
    const view = await this.serve(located.path, head, async (objects) => {
      const state = await this.computeState(located, mode, head, objects, scope, sizeLimited);
      withinLimit = (state.size ?? 0) <= this.deps.cloneLimit;
      return state;
    });
    return this.remember(view, share, withinLimit);
  }

  /**
   * The root `/` for a reader who may not read every path of the directory: its tree without
   * the b-links and files the reader may not read, as one synthetic chain per hidden set (the
   * stored history's commits name the repositories they add). Undefined when nothing is hidden:
   * the root is then served as the stored directory repository.
   */
  async filteredRoot(head: DirectoryHead, reader: PathReader): Promise<DirectoryView | undefined> {
    const files = await this.scans.files(new ObjectReader(this.deps.objects.source), head.tree);
    const share = readerShare(files, '', reader);
    if (share.hidden.length === 0) return undefined;
    const kept = await this.keptTip({ viewPath: '/', hidden: share.hidden }, share, false);
    if (kept) return kept;
    const stateOf: StateOf = async (objects) => {
      const filtered = await filterDirectory(new ObjectReader(objects), objects, head.tree, {
        prefix: '',
        reader,
        bLinks: bLinksOf(files),
      });
      return {
        tree: filtered.tree ?? objects.put('tree', EMPTY_TREE),
        links: [],
        hidden: filtered.hidden,
        commitFields: async () => {
          let newest = INIT_TIME;
          for (const repoPath of filtered.linked) {
            newest = Math.max(newest, (await this.repositoryHead(repoPath))?.committerTime ?? 0);
          }
          const ident = megaIdent(newest);
          return { author: ident, committer: ident, message: directoryViewMessage('/', undefined, []) };
        },
      };
    };
    const objects = new PendingObjects(this.deps.objects.source);
    const first = await stateOf(objects);
    if (first.hidden.length === 0) return undefined;
    return this.remember(await this.serve('/', head, stateOf, { objects, state: first }), share, true);
  }

  /**
   * The chain's tip, without computing the view, when nothing it is built from changed: this
   * process computed the tip from the same directory files (path, mode, id, b-link), no server
   * appended since, and (for expanded views) every shown repository's head is still the one it
   * shows and no other kept b-link's repository has a head yet. The clone limit was checked
   * when the tip was computed: what the view shows, the heads' trees, has not changed since (a
   * tip computed for a write above the limit is not kept for a size-limited read).
   */
  private async keptTip(
    chain: ViewChain,
    share: ReaderShare,
    expanded: boolean,
    sizeLimited = false,
  ): Promise<DirectoryView | undefined> {
    const known = this.computed.get(chainKey(chain));
    if (!known || known.digest !== share.digest) return undefined;
    if (sizeLimited && !known.withinLimit) return undefined;
    const tip = await this.deps.views.tip(chain);
    if (!tip || tip.commitId !== known.commit) return undefined;
    if (expanded) {
      const heads = await this.deps.directoryStore.headsOf(share.linked);
      const links = tip.links as ViewLink[];
      if (links.length !== heads.size || links.some((link) => heads.get(link.repoPath) !== link.commit)) {
        return undefined;
      }
    }
    return toView(tip);
  }

  /** Notes which directory files a chain's tip was computed from (for `keptTip`). */
  private remember(view: DirectoryView, share: ReaderShare, withinLimit: boolean): DirectoryView {
    const key = chainKey(view.chain);
    this.computed.delete(key);
    this.computed.set(key, { digest: share.digest, commit: view.commit, withinLimit });
    if (this.computed.size > STATES_KEPT) this.computed.delete(this.computed.keys().next().value!);
    return view;
  }

  /** Returns the chain tip when it shows the state, else appends the next step (retrying races). */
  private async serve(
    path: string,
    head: DirectoryHead,
    stateOf: StateOf,
    computed?: { objects: PendingObjects; state: ViewState },
  ): Promise<DirectoryView> {
    for (let attempt = 1; ; attempt++) {
      const objects =
        attempt === 1 && computed ? computed.objects : new PendingObjects(this.deps.objects.source);
      const state = attempt === 1 && computed ? computed.state : await stateOf(objects);
      const chain: ViewChain = { viewPath: path, hidden: state.hidden };
      const tip = await this.deps.views.tip(chain);
      if (tip && tip.treeId === state.tree) return toView(tip);
      const parent = tip?.commitId ?? (await this.startingPoint(chain));
      const merged = tip ? await this.pendingMergedPushes(chain, tip.commitId) : [];
      const commit =
        (tip && (await this.mergedPushAsStep(tip.commitId, merged, state.tree))) ??
        objects.put(
          'commit',
          buildViewCommit({
            ...(await state.commitFields()),
            tree: state.tree,
            // After merges: a merge of the tip and every merged push it does not contain yet.
            parents: [...(parent ? [parent] : []), ...merged.map((push) => push.pushedCommit)],
          }),
        );
      // The directory repository holds every object its views show, so that a push to a view
      // (stored there until it becomes a merge request) can use any of them as a thin-pack base.
      await this.deps.objects.write(head.repository.id, objects.take());
      await this.linkShownRepositories(head.repository.id, state.links, (tip?.links ?? []) as ViewLink[]);
      const record: ViewCommitRecord = {
        ...chain,
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

  /**
   * Where a new filtered chain starts: on the newest tip of a chain of the same path that left
   * out everything this one leaves out (and more), so a reader who was granted a repository
   * fast-forwards with `git pull`. Such a commit, and by induction all its ancestors, shows
   * nothing this chain's readers may not read. The unfiltered chain always starts without a
   * parent (its commits are those of before permissions).
   */
  private async startingPoint(chain: ViewChain): Promise<ObjectId | undefined> {
    if (chain.hidden.length === 0) return undefined;
    for (const tip of await this.deps.views.filteredTips(chain.viewPath)) {
      const hidesMore = new Set(tip.hidden);
      if (chain.hidden.every((path) => hidesMore.has(path))) return tip.commitId;
    }
    return undefined;
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

  /**
   * The one merged push that can itself be the next step: based on the tip, with exactly the
   * view's next tree (the pusher's clone is then up to date after the merge, as before).
   */
  private async mergedPushAsStep(
    tip: ObjectId,
    merged: readonly MergedPush[],
    tree: ObjectId,
  ): Promise<ObjectId | undefined> {
    const [only] = merged;
    if (merged.length !== 1 || only?.baseViewCommit !== tip) return undefined;
    return (await this.deps.objects.source.readCommit(only.pushedCommit))?.tree === tree
      ? only.pushedCommit
      : undefined;
  }

  /**
   * Pushed commits of merged merge requests that the chain's tip does not contain yet (oldest
   * request first). A request counts when the view commit it was based on is one of the last
   * `MAX_CHAIN_STEPS_WALKED` steps of this chain (so it was pushed through a view with the same
   * hidden set: its commit shows nothing this chain's readers may not read) and its pushed
   * commit is neither a step since nor a parent of one. Only stored inputs decide: every server
   * computes the same parents (and the chain's unique key settles a race as before).
   */
  private async pendingMergedPushes(chain: ViewChain, tip: ObjectId): Promise<MergedPush[]> {
    const candidates = await this.deps.mergedPushes(chain.viewPath, MERGED_PUSHES_CONSIDERED);
    if (candidates.length === 0) return [];
    const steps = new Set<ObjectId>();
    const contained = new Set<ObjectId>();
    // A candidate is settled once its pushed commit is met (contained) or its base is reached
    // first (pending): the walk stops when every candidate is settled.
    let unsettled = candidates;
    let step: ObjectId | undefined = tip;
    for (let walked = 0; step !== undefined && walked < MAX_CHAIN_STEPS_WALKED; walked++) {
      steps.add(step);
      contained.add(step);
      for (const parent of (await this.deps.objects.source.readCommit(step))?.parents ?? [])
        contained.add(parent);
      unsettled = unsettled.filter(
        (candidate) => !contained.has(candidate.pushedCommit) && !steps.has(candidate.baseViewCommit),
      );
      if (unsettled.length === 0) break;
      step = (await this.deps.views.find(chain, step))?.parentId;
    }
    const pending = candidates.filter(
      (candidate) => steps.has(candidate.baseViewCommit) && !contained.has(candidate.pushedCommit),
    );
    const unique = new Map(pending.map((candidate) => [candidate.pushedCommit, candidate]));
    return [...unique.values()].sort((a, b) => a.number - b.number);
  }

  /** A commit of a view's chain (for mapping a push back), or undefined. */
  async findViewCommit(chain: ViewChain, commit: ObjectId): Promise<DirectoryView | undefined> {
    const record = await this.deps.views.find(chain, commit);
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
    scope: DirectoryScope,
    sizeLimited: boolean,
  ): Promise<ViewState> {
    const reader = new ObjectReader(objects);
    if (mode === 'expanded-directory' && located.shape === 'directory') {
      const expanded = await expandDirectory(
        reader,
        objects,
        located.tree,
        (path) => this.repositoryHead(path),
        scope,
      );
      if (sizeLimited && expanded.size > this.deps.cloneLimit) {
        throw tooLarge(
          'clone_limit_exceeded',
          cloneLimitMessage(located.path, expanded.size, this.deps.cloneLimit),
          { size: expanded.size, limit: this.deps.cloneLimit, path: located.path },
        );
      }
      const filtered = expanded.hidden.length > 0;
      return {
        tree: expanded.tree ?? objects.put('tree', EMPTY_TREE),
        links: expanded.links,
        hidden: expanded.hidden,
        size: expanded.size,
        commitFields: async () => {
          // A filtered view names neither the directory commit nor takes its time (both change
          // when a hidden repository is added): the newest included head's, at least the first
          // directory commit's.
          const directoryTime = filtered
            ? INIT_TIME
            : ((await this.deps.objects.source.readCommit(head.commit))?.committerTime ?? 0);
          const ident = megaIdent(Math.max(expanded.newestTime, directoryTime));
          return {
            author: ident,
            committer: ident,
            message: directoryViewMessage(
              located.path,
              filtered ? undefined : head.commit,
              expanded.links.map((link) => ({ repoPath: link.repoPath, commit: link.commit })),
            ),
          };
        },
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
      // The reader may read the repository (checked before resolving): nothing inside is hidden.
      const fields = { author: commit.author, committer: commit.committer, message: commit.message };
      return {
        tree: entry.id,
        links: [{ at: '', repoPath: located.repoPath, commit: repoHead.commit, subdir: located.subdir }],
        hidden: [],
        commitFields: async () => fields,
      };
    }
    throw notFound('directory_view_unavailable', `${located.path} cannot be served as ${mode}`);
  }
}

/** A chain as a map key (NUL never occurs in a directory path). */
function chainKey(chain: ViewChain): string {
  return [chain.viewPath, ...chain.hidden].join('\0');
}

function toView(record: ViewCommitRecord): DirectoryView {
  return {
    path: record.viewPath,
    chain: { viewPath: record.viewPath, hidden: record.hidden },
    commit: record.commitId,
    tree: record.treeId,
    links: record.links as ViewLink[],
    directoryCommit: record.directoryCommit,
  };
}

/**
 * The 413 of a directory too large to clone (seed 004 §4: over the limit, changes go through the
 * API): a narrower clone, or the commits API and `mega commit`, which write without a clone.
 */
export function cloneLimitMessage(path: string, size: number, limit: number): string {
  return (
    `${path} expands to ${formatBytes(size)}, more than the clone limit of ${formatBytes(limit)} (MEGA_CLONE_LIMIT): ` +
    `clone a narrower path, e.g. one repository under ${path}, or change files without a clone through the commits API ` +
    `(POST /api/v1/commits with "path": "${path}", or mega commit --path ${path}; GET /api/v1/commits/head?path=${path} gives the base)`
  );
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
