import type { ObjectId } from '../git/object-id.js';
import { findAncestor } from '../monorepo/ancestry.js';
import type { ProposalOutcome, ProposedChange } from '../monorepo/change-proposals.js';
import { commitsBetween, type PushedCommit } from '../monorepo/pushed-commits.js';
import type {
  MergeRequestRecord,
  MergeRequestStore,
  OpenMergeRequest,
} from '../storage/monorepo/merge-request-store.js';
import type { ReviewDeps } from './review-deps.js';

/** Commits named in one timeline entry at most (the rest are counted). */
const MAX_EVENT_COMMITS = 100;

/**
 * Which merge request a push to a directory view belongs to (issue 22, "MR identity"):
 *
 * - A push whose commit **descends from the pushed head of an open merge request** of the same
 *   user on the same path updates it (timeline `updated`, detail: the new commits). The branch
 *   name does not matter for this match: descent is what says "the same change, continued"; with
 *   several candidates, the one whose head is nearest the pushed commit (first met walking back
 *   from it; two requests with the same head: the newer) wins.
 * - Any other push **opens a new merge request**: nothing already proposed is replaced.
 * - Unless the pusher asks with `git push -o mr.replace`: the newest open merge request of the
 *   same user, path **and branch** then gets the new change (timeline `force_updated`, detail:
 *   the old and the new head and every commit the replacement drops). Without such a request,
 *   `mr.replace` opens a new one (nothing to replace).
 *
 * Commits are never dropped silently: an update adds commits on top, a replacement lists what it
 * dropped. Updates are a compare-and-swap on the head they built on; a push that loses a race
 * opens a new merge request instead of overwriting the winner.
 */
export class Proposals {
  private readonly store: MergeRequestStore;

  constructor(
    private readonly deps: ReviewDeps,
    private readonly url: (number: number, base?: string) => string,
    private readonly announce: (
      record: MergeRequestRecord,
      action: 'opened' | 'updated' | 'force_updated',
      actor: string,
    ) => void,
  ) {
    this.store = deps.storage.monorepo.mergeRequests;
  }

  async propose(change: ProposedChange): Promise<ProposalOutcome> {
    const open = await this.store.openOf(change.viewPath, change.authorId);
    const continued = await this.continuedRequest(change.pushedCommit, open);
    if (continued?.pushedCommit === change.pushedCommit)
      return this.outcome(continued.number, change, 'unchanged');
    if (continued && (await this.update(continued, change)))
      return this.outcome(continued.number, change, 'updated');
    const replaced = change.replace ? open.find((request) => request.refName === change.refName) : undefined;
    if (replaced && !continued && (await this.replace(replaced, change))) {
      return this.outcome(replaced.number, change, 'replaced');
    }
    const number = await this.store.create({
      ...change,
      ...(change.targetBranch !== undefined ? { targetBranch: change.targetBranch } : {}),
    });
    return this.outcome(number, change, 'opened');
  }

  /** The open request whose pushed head is nearest in `pushed`'s history (one bounded walk). */
  private async continuedRequest(
    pushed: ObjectId,
    open: readonly OpenMergeRequest[],
  ): Promise<OpenMergeRequest | undefined> {
    if (open.length === 0) return undefined;
    const byHead = new Map<ObjectId, OpenMergeRequest>();
    // Newest first: the first request seen for a head is the newest one.
    for (const request of open)
      if (!byHead.has(request.pushedCommit)) byHead.set(request.pushedCommit, request);
    const found = await findAncestor(this.deps.monorepo.objects.source, pushed, async (id) => byHead.has(id));
    return found ? byHead.get(found) : undefined;
  }

  private async update(request: OpenMergeRequest, change: ProposedChange): Promise<boolean> {
    const added = await commitsBetween(
      this.deps.monorepo.objects.source,
      change.pushedCommit,
      request.pushedCommit,
    );
    return this.store.update(request.number, request.pushedCommit, {
      ...this.fields(change),
      ...(change.titleGiven ? { title: change.title } : {}),
      ...(change.descriptionGiven ? { description: change.description } : {}),
      event: { action: 'updated', detail: commitLines(added.commits, added.truncated) },
    });
  }

  private async replace(request: OpenMergeRequest, change: ProposedChange): Promise<boolean> {
    // What the old head had that the new one does not: the commits the replacement drops.
    const dropped = await commitsBetween(
      this.deps.monorepo.objects.source,
      request.pushedCommit,
      change.pushedCommit,
    );
    const detail = [
      `old ${request.pushedCommit}`,
      `new ${change.pushedCommit}`,
      ...(dropped.commits.length > 0 ? ['dropped:', commitLines(dropped.commits, dropped.truncated)] : []),
    ].join('\n');
    return this.store.update(request.number, request.pushedCommit, {
      ...this.fields(change),
      title: change.title,
      description: change.description,
      event: { action: 'force_updated', detail },
    });
  }

  private fields(change: ProposedChange) {
    return {
      viewPath: change.viewPath,
      refName: change.refName,
      pushedCommit: change.pushedCommit,
      baseViewCommit: change.baseViewCommit,
      author: change.author,
      authorId: change.authorId,
      changes: change.changes,
      ...(change.targetBranch !== undefined ? { targetBranch: change.targetBranch } : {}),
    };
  }

  private async outcome(
    number: number,
    change: ProposedChange,
    action: ProposalOutcome['action'],
  ): Promise<ProposalOutcome> {
    if (action !== 'unchanged') {
      const record = await this.store.get(number);
      const announced = action === 'replaced' ? 'force_updated' : action;
      if (record) this.announce(record, announced, change.author);
    }
    return { number, url: this.url(number, change.baseUrl), updated: action !== 'opened', action };
  }
}

/** `<id> <subject>` per commit, newest last, bounded. */
function commitLines(commits: readonly PushedCommit[], truncated: boolean): string {
  const shown = commits.slice(-MAX_EVENT_COMMITS);
  const more = commits.length - shown.length + (truncated ? 1 : 0);
  return [
    ...(more > 0
      ? [`… ${truncated ? 'more than ' : ''}${commits.length - shown.length} earlier commits`]
      : []),
    ...shown.map((commit) => `${commit.id} ${commit.subject}`),
  ].join('\n');
}

/** What `GET /api/v1/merge-requests/:number/commits` lists. */
export interface MergeRequestCommits {
  readonly commits: ReadonlyArray<{
    readonly id: ObjectId;
    readonly subject: string;
    readonly message: string;
    readonly author: PushedCommit['author'];
  }>;
  readonly truncated: boolean;
}

/**
 * The commits a merge request's push proposes: reachable from its pushed head and not from the
 * view commit it was based on, oldest first, at most `MAX_LISTED_COMMITS` (`truncated` beyond).
 */
export async function pushedCommitsOf(
  deps: ReviewDeps,
  record: MergeRequestRecord,
): Promise<MergeRequestCommits> {
  const listed = await commitsBetween(
    deps.monorepo.objects.source,
    record.pushedCommit as ObjectId,
    record.baseViewCommit as ObjectId | undefined,
  );
  return {
    commits: listed.commits.map(({ id, subject, message, author }) => ({ id, subject, message, author })),
    truncated: listed.truncated,
  };
}
