import { isZeroId, type ObjectId } from '../git/object-id.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import type {
  PathReader,
  PushContext,
  PushPolicy,
  RefDecision,
  RefUpdateRequest,
} from '../repo/served-repository.js';
import type { FileChange } from '../repo/browse/tree-diff.js';
import { forbidden, invalid, isMegaError } from '../platform/errors.js';
import type { ViewChain } from '../storage/monorepo/view-commit-store.js';
import { findAncestor } from './ancestry.js';
import type { ChangeProposals, RepositoryChange } from './change-proposals.js';
import { canWrite, directoryFileRefusal, directoryOf } from './directory-files.js';
import type { DirectoryViews } from './directory-views.js';
import type { ViewLink } from './expand-directory.js';
import { DIRECTORY_PATH } from './mega-directory.js';
import { objectsIntroduced } from './object-closure.js';
import { PendingObjects } from './pending-objects.js';
import type { MonorepoDeps } from './ports.js';
import { mapPushOntoRepositories } from './push-mapping.js';
import { MAX_MR_DESCRIPTION, MAX_MR_TITLE, parseMergeRequestOptions } from './push-options.js';
import { commitsBetween, type PushedCommit } from './pushed-commits.js';
import { buildViewCommit } from './synthetic-commit.js';
import { applyChanges } from './tree-edit.js';

/**
 * A merge request's default title: the subject of the change's first commit that is not a merge
 * (oldest first), so "Merge branch 'main' of …" never names a change.
 */
export function defaultTitle(commits: readonly PushedCommit[], viewPath: string): string {
  const first = commits.find((commit) => commit.parents.length <= 1 && commit.subject !== '');
  return (first?.subject ?? `Changes to ${viewPath}`).slice(0, MAX_MR_TITLE);
}

/**
 * A merge request's default description: the body of its only commit, or a list of the
 * subjects of its commits (merges left out), bounded.
 */
export function defaultDescription(commits: readonly PushedCommit[]): string {
  const own = commits.filter((commit) => commit.parents.length <= 1);
  const text =
    own.length === 1
      ? own[0]!.message.split('\n').slice(1).join('\n').trim()
      : own.map((commit) => `- ${commit.subject}`).join('\n');
  return text.slice(0, MAX_MR_DESCRIPTION);
}

/**
 * Push rule of `/projects` views (SPEC §6): the pushed commit does not move any branch; it is
 * mapped back onto every repository it touches (one proposed commit per repository, on the head
 * the view showed) and becomes a merge request. The client prints `remote: merge request !N: URL`.
 */
export class MergeRequestPushPolicy implements PushPolicy {
  constructor(
    private readonly deps: MonorepoDeps,
    private readonly views: DirectoryViews,
    private readonly proposals: ChangeProposals,
    private readonly chain: ViewChain,
    private readonly reader: PathReader,
  ) {}

  private get viewPath(): string {
    return this.chain.viewPath;
  }

  async decide(update: RefUpdateRequest, context: PushContext): Promise<RefDecision> {
    if (!update.refName.startsWith('refs/heads/')) {
      return { action: 'reject', reason: 'only branches can be pushed to a directory view' };
    }
    if (isZeroId(update.newId))
      return { action: 'reject', reason: 'branches of a directory view cannot be deleted' };
    const baseId = await findAncestor(
      context.objects,
      update.newId,
      async (id) => (await this.views.findViewCommit(this.chain, id)) !== undefined,
    );
    // Only commits of the pusher's own chain are bases: a commit of a chain the pusher may not
    // read (say, from before a grant was revoked) could map changes onto hidden repositories.
    const base = baseId ? await this.views.findViewCommit(this.chain, baseId) : undefined;
    if (!base) {
      return {
        action: 'reject',
        reason: `the push does not build on a commit of ${this.viewPath}: pull first, then push again`,
      };
    }
    if (base.commit === update.newId)
      return { action: 'handled', messages: ['nothing to propose: no new commits'] };
    try {
      const options = parseMergeRequestOptions(context.pushOptions);
      const changes = await this.proposeCommits(update.newId, base);
      if (changes.length === 0)
        return { action: 'handled', messages: ['nothing to propose: the tree did not change'] };
      if (options.targetBranch !== undefined) await this.requireTargetBranch(options.targetBranch, changes);
      const { commits } = await commitsBetween(context.objects, update.newId, base.commit);
      const outcome = await this.proposals.propose({
        viewPath: this.viewPath,
        refName: update.refName,
        pushedCommit: update.newId,
        baseViewCommit: base.commit,
        title: options.title ?? defaultTitle(commits, this.viewPath),
        description: options.description ?? defaultDescription(commits),
        titleGiven: options.title !== undefined,
        descriptionGiven: options.description !== undefined,
        ...(options.targetBranch !== undefined ? { targetBranch: options.targetBranch } : {}),
        replace: options.replace,
        author: context.principal.username,
        authorId: context.principal.userId,
        changes,
        ...(context.baseUrl ? { baseUrl: context.baseUrl } : {}),
      });
      return {
        action: 'handled',
        messages: [
          `merge request !${outcome.number}: ${outcome.url}`,
          `${outcome.action} for ${changes.map((change) => change.repoPath).join(', ')}`,
        ],
      };
    } catch (error) {
      if (isMegaError(error, 'invalid') || isMegaError(error, 'forbidden'))
        return { action: 'reject', reason: error.message };
      throw error;
    }
  }

  /** `-o mr.target=…` must name a branch every touched repository has. */
  private async requireTargetBranch(branch: string, changes: readonly RepositoryChange[]): Promise<void> {
    for (const change of changes) {
      const repository = await this.deps.repositories.require(change.repoPath);
      if (!(await this.deps.refs.get(repository.id, `refs/heads/${branch}`))) {
        throw invalid('merge_target_missing', `${change.repoPath} has no branch ${branch} (mr.target)`);
      }
    }
  }

  /**
   * Builds and stores one proposed commit per touched repository; README files of directories
   * the view shows become one proposed commit of the directory repository `/`, on the directory
   * commit the view was built from (merging moves `/` with the other repositories).
   */
  private async proposeCommits(
    pushedId: ObjectId,
    base: {
      readonly tree: ObjectId;
      readonly links: readonly ViewLink[];
      readonly directoryCommit: ObjectId;
    },
  ): Promise<RepositoryChange[]> {
    // The pushed objects sit in the directory repository, the repositories' own commits in theirs.
    const objects = new PendingObjects(this.deps.objects.source);
    const reader = new ObjectReader(objects);
    const pushed = await reader.commit(pushedId);
    const directoryFiles: FileChange[] = [];
    const mapped = await mapPushOntoRepositories(
      reader,
      objects,
      base.tree,
      pushed.tree,
      base.links,
      directoryFiles,
    );
    // Every touched repository is checked before anything is stored.
    for (const change of mapped) requireWrite(this.reader, change.link.repoPath);
    const proposals = mapped.map((change) => ({
      repoPath: change.link.repoPath,
      baseCommit: change.link.commit,
      baseTree: change.baseTree,
      tree: change.tree,
    }));
    if (directoryFiles.length > 0) {
      proposals.push(await this.directoryProposal(reader, objects, base.directoryCommit, directoryFiles));
    }
    const out: RepositoryChange[] = [];
    for (const change of proposals) {
      const commit = objects.put(
        'commit',
        buildViewCommit({
          tree: change.tree,
          parent: change.baseCommit,
          author: pushed.author,
          committer: pushed.committer,
          message: pushed.message,
        }),
      );
      const repository = await this.deps.repositories.require(change.repoPath);
      const introduced = new Set(await objectsIntroduced(reader, change.baseTree, change.tree));
      const created = objects.take().filter((object) => introduced.has(object.id) || object.id === commit);
      const createdIds = new Set(created.map((object) => object.id));
      await this.deps.objects.write(repository.id, created);
      await this.deps.objects.link(
        repository.id,
        [...introduced].filter((id) => !createdIds.has(id)),
      );
      out.push({ repoPath: change.repoPath, baseCommit: change.baseCommit, headCommit: commit });
    }
    return out.sort((a, b) => (a.repoPath < b.repoPath ? -1 : 1));
  }

  /**
   * The directory repository's new tree for README changes pushed through a directory view
   * (paths relative to the view): each must be a README of an existing directory, not a b-link,
   * readable by the pusher and in a directory they may write.
   */
  private async directoryProposal(
    reader: ObjectReader,
    objects: PendingObjects,
    directoryCommit: ObjectId,
    files: readonly FileChange[],
  ): Promise<{ repoPath: string; baseCommit: ObjectId; baseTree: ObjectId; tree: ObjectId }> {
    const prefix = this.viewPath === '/' ? '' : `${this.viewPath.slice(1)}/`;
    const baseTree = (await reader.commit(directoryCommit)).tree;
    const changes = files.map((change) => ({ ...change, path: `${prefix}${change.path}` }));
    for (const change of changes) {
      const refusal = await directoryFileRefusal(reader, baseTree, change);
      if (refusal) throw invalid('push_outside_repository', refusal);
      if (!this.reader.canRead(`/${change.path}`))
        throw invalid('push_outside_repository', `/${change.path} is not readable: pull first`);
      const directory = directoryOf(change.path);
      if (!canWrite(this.reader, directory)) {
        throw forbidden('access_denied', `changing /${change.path} needs the write role on ${directory}`, {
          path: directory,
          role: 'write',
        });
      }
    }
    const tree = await applyChanges(reader, objects, baseTree, changes);
    if (!tree) throw invalid('push_outside_repository', 'a push cannot empty the Mega directory');
    return { repoPath: DIRECTORY_PATH, baseCommit: directoryCommit, baseTree, tree };
  }
}

/**
 * Throws unless the pusher may propose changes to `repoPath`: `read` (the chain leaves out what
 * they may not read; a grant revoked since is refused here) and `write` on it. The web layer's
 * reader is the pusher's `Permissions`; `EVERY_PATH` (operators) may write everywhere, and any
 * other reader answers only what may be read, so it writes nowhere.
 */
function requireWrite(reader: PathReader, repoPath: string): void {
  if (!reader.canRead(repoPath))
    throw invalid('push_outside_repository', `${repoPath} is no longer readable: pull first`);
  if (canWrite(reader, repoPath)) return;
  throw forbidden('access_denied', `proposing changes needs the write role on ${repoPath}`, {
    path: repoPath,
    role: 'write',
  });
}
