import { isZeroId, type ObjectId } from '../git/object-id.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import type {
  PathReader,
  PushContext,
  PushPolicy,
  RefDecision,
  RefUpdateRequest,
} from '../repo/served-repository.js';
import { Permissions } from '../access/permissions.js';
import { EVERY_PATH } from '../repo/served-repository.js';
import { forbidden, invalid, isMegaError } from '../platform/errors.js';
import type { ViewChain } from '../storage/monorepo/view-commit-store.js';
import { findAncestor } from './ancestry.js';
import type { ChangeProposals, RepositoryChange } from './change-proposals.js';
import type { DirectoryViews } from './directory-views.js';
import { objectsIntroduced } from './object-closure.js';
import { PendingObjects } from './pending-objects.js';
import type { MonorepoDeps } from './ports.js';
import { mapPushOntoRepositories } from './push-mapping.js';
import { buildViewCommit } from './synthetic-commit.js';

/**
 * Control characters a title never shows: NUL above all, which git allows in a message body
 * (fsck checks only headers) but PostgreSQL cannot store in text.
 */
const TITLE_CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** First line of a commit message, as a merge request title, without control characters. */
export function titleOf(message: string): string {
  const line =
    message
      .replace(TITLE_CONTROL_CHARACTERS, '')
      .split('\n')
      .find((text) => text.trim() !== '') ?? '';
  return line.trim() || '(no message)';
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
      const changes = await this.proposeCommits(update.newId, base.tree, base.links);
      if (changes.length === 0)
        return { action: 'handled', messages: ['nothing to propose: the tree did not change'] };
      const reader = new ObjectReader(context.objects);
      const pushed = await reader.commit(update.newId);
      const outcome = await this.proposals.propose({
        viewPath: this.viewPath,
        refName: update.refName,
        pushedCommit: update.newId,
        baseViewCommit: base.commit,
        title: titleOf(pushed.message),
        author: context.principal.username,
        authorId: context.principal.userId,
        changes,
        ...(context.baseUrl ? { baseUrl: context.baseUrl } : {}),
      });
      const verb = outcome.updated ? 'updated' : 'opened';
      return {
        action: 'handled',
        messages: [
          `merge request !${outcome.number}: ${outcome.url}`,
          `${verb} for ${changes.map((change) => change.repoPath).join(', ')}`,
        ],
      };
    } catch (error) {
      if (isMegaError(error, 'invalid') || isMegaError(error, 'forbidden'))
        return { action: 'reject', reason: error.message };
      throw error;
    }
  }

  /** Builds and stores one proposed commit per touched repository. */
  private async proposeCommits(
    pushedId: ObjectId,
    viewTree: ObjectId,
    links: Parameters<typeof mapPushOntoRepositories>[4],
  ): Promise<RepositoryChange[]> {
    // The pushed objects sit in the directory repository, the repositories' own commits in theirs.
    const objects = new PendingObjects(this.deps.objects.source);
    const reader = new ObjectReader(objects);
    const pushed = await reader.commit(pushedId);
    const mapped = await mapPushOntoRepositories(reader, objects, viewTree, pushed.tree, links);
    // Every touched repository is checked before anything is stored.
    for (const change of mapped) requireWrite(this.reader, change.link.repoPath);
    const out: RepositoryChange[] = [];
    for (const change of mapped) {
      const commit = objects.put(
        'commit',
        buildViewCommit({
          tree: change.tree,
          parent: change.link.commit,
          author: pushed.author,
          committer: pushed.committer,
          message: pushed.message,
        }),
      );
      const repository = await this.deps.repositories.require(change.link.repoPath);
      const introduced = new Set(await objectsIntroduced(reader, change.baseTree, change.tree));
      const created = objects.take().filter((object) => introduced.has(object.id) || object.id === commit);
      const createdIds = new Set(created.map((object) => object.id));
      await this.deps.objects.write(repository.id, created);
      await this.deps.objects.link(
        repository.id,
        [...introduced].filter((id) => !createdIds.has(id)),
      );
      out.push({ repoPath: change.link.repoPath, baseCommit: change.link.commit, headCommit: commit });
    }
    return out;
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
  if (reader === EVERY_PATH || (reader instanceof Permissions && reader.has(repoPath, 'write'))) return;
  throw forbidden('access_denied', `proposing changes needs the write role on ${repoPath}`, {
    path: repoPath,
    role: 'write',
  });
}
