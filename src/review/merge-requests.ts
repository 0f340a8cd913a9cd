import type { ObjectId } from '../git/object-id.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import { diffFiles, diffTrees, type TreeDiff } from '../repo/browse/tree-diff.js';
import { conflict, isMegaError, notFound } from '../platform/errors.js';
import type { ChangeProposals, ProposalOutcome, ProposedChange } from '../monorepo/change-proposals.js';
import type {
  MergeRequestEventRecord,
  MergeRequestQuery,
  MergeRequestRecord,
  MergeRequestStore,
} from '../storage/monorepo/merge-request-store.js';
import type { PathReader } from '../repo/served-repository.js';
import { Approvals } from './approvals.js';
import {
  canSeeMergeRequest,
  isAuthor,
  OPERATOR,
  requireStateChange,
  requireVisible,
  touchedPaths,
  type Actor,
} from './merge-gates.js';
import { planRepositoryMerge, type RepositoryMergePlan } from './merge-plan.js';
import { targetRefOf } from './merge-target.js';
import { Proposals, pushedCommitsOf, type MergeRequestCommits } from './proposals.js';
import { MergeabilityChecker } from './mergeability.js';
import { rebaseOntoTargets } from './update-from-target.js';
import type { ReviewDeps } from './review-deps.js';
import type { MergeRequestAction } from './review-events.js';
import { appendAll } from '../platform/append-all.js';

export type { Actor } from './merge-gates.js';
export type { ReviewDeps } from './review-deps.js';

/** Rows read per query while filtering a list down to what the caller may read. */
const LIST_BATCH = 200;

/** Diffs kept in memory for the pages shown next (each is bounded by the diff limits). */
const DIFF_CACHE_ENTRIES = 16;

/** A `merging` claim older than this belongs to a server that died mid-merge and is taken over. */
export const STALE_MERGE_CLAIM_MS = 10 * 60_000;

export interface MergeRequestDetail extends MergeRequestRecord {
  readonly url: string;
  readonly events: readonly MergeRequestEventRecord[];
  readonly diffs: ReadonlyArray<{ readonly repoPath: string; readonly diff: TreeDiff }>;
}

export interface MergeOutcome {
  readonly number: number;
  readonly merged: ReadonlyArray<{
    readonly repoPath: string;
    readonly commit: ObjectId;
    readonly kind: string;
  }>;
}

/**
 * Merge requests of the Mega directory (SPEC §6): opened or updated by pushes to `/projects`
 * views, listed and shown with per-file diffs, merged into every repository they touch in one
 * transaction (or refused with the conflicting files), closed and reopened; every step is recorded
 * with its actor.
 */
/** One repository a merge request touches: its branch as found, and the merge planned onto it. */
interface MergeTarget {
  readonly repoId: number;
  readonly repoPath: string;
  readonly headRef: string;
  readonly current: ObjectId;
  readonly plan: RepositoryMergePlan;
}

export class MergeRequests implements ChangeProposals {
  private readonly store: MergeRequestStore;
  /** Diffs of recently shown changes, by `base..head` commit ids (see `diffOf`). */
  private readonly diffs = new Map<string, TreeDiff>();
  /** Mergeability of open requests (`buildReviewServices` subscribes it to the review events). */
  readonly mergeability: MergeabilityChecker;

  constructor(private readonly deps: ReviewDeps) {
    this.store = deps.storage.monorepo.mergeRequests;
    this.mergeability = new MergeabilityChecker(deps);
  }

  /** The merge request's page in the web UI: what `git push` prints for people to open. */
  url(number: number, base?: string): string {
    return `${base ?? this.deps.baseUrl()}/ui/merge-requests/${number}`;
  }

  /** Opens, updates or replaces a merge request for a push (the rules: `proposals.ts`). */
  async propose(change: ProposedChange): Promise<ProposalOutcome> {
    return new Proposals(
      this.deps,
      (number, base) => this.url(number, base),
      (record, action, actor) => this.announce(record, action, actor),
    ).propose(change);
  }

  /**
   * One page of the merge requests `viewer` may see (every touched path readable): the store is
   * read in batches and filtered, so pages stay full and hidden requests leave no gaps.
   */
  async list(query: MergeRequestQuery, viewer: PathReader): Promise<MergeRequestRecord[]> {
    const visible: MergeRequestRecord[] = [];
    let skip = query.offset;
    for (let offset = 0; visible.length < query.limit; offset += LIST_BATCH) {
      const batch = await this.store.list({ ...query, limit: LIST_BATCH, offset });
      for (const record of batch) {
        if (!canSeeMergeRequest(viewer, record)) continue;
        if (skip > 0) skip--;
        else if (visible.length < query.limit) visible.push(record);
      }
      if (batch.length < LIST_BATCH) break;
    }
    return visible;
  }

  async show(number: number, viewer: PathReader): Promise<MergeRequestDetail> {
    let record = await this.require(number);
    requireVisible(viewer, record);
    // A verdict computed against other target heads is stale: recompute it (cheap) rather than show it.
    if (record.status === 'open' && !(await this.mergeability.isCurrent(record))) {
      // Showing never fails on it: a request whose merge cannot be computed shows what was stored.
      const fresh = await this.mergeability.refresh(number).catch(() => undefined);
      if (fresh) record = { ...record, mergeability: fresh };
    }
    const diffs = [];
    for (const change of record.changes) {
      diffs.push({
        repoPath: change.repoPath,
        diff: await this.diffOf(change.baseCommit, change.headCommit),
      });
    }
    return { ...record, url: this.url(number), events: await this.store.events(number), diffs };
  }

  /**
   * The diff between two commits, kept for the next readers: commits never change, so neither does
   * their diff, and a merge request's page is opened many times between pushes.
   */
  private async diffOf(baseCommit: ObjectId, headCommit: ObjectId): Promise<TreeDiff> {
    const key = `${baseCommit}..${headCommit}`;
    const cached = this.diffs.get(key);
    if (cached) {
      this.diffs.delete(key);
      this.diffs.set(key, cached);
      return cached;
    }
    const reader = new ObjectReader(this.deps.monorepo.objects.source);
    const base = (await reader.commit(baseCommit)).tree;
    const head = (await reader.commit(headCommit)).tree;
    const diff = await diffFiles(reader, await diffTrees(reader, base, head));
    this.diffs.set(key, diff);
    // Least recently used out first; a diff is bounded (files, lines), so is the cache.
    for (const oldest of this.diffs.keys()) {
      if (this.diffs.size <= DIFF_CACHE_ENTRIES) break;
      this.diffs.delete(oldest);
    }
    return diff;
  }

  /** The commits of a merge request's push, oldest first (see `pushedCommitsOf`). */
  async commits(number: number, viewer: PathReader): Promise<MergeRequestCommits> {
    const record = await this.require(number);
    requireVisible(viewer, record);
    return pushedCommitsOf(this.deps, record);
  }

  async close(number: number, actor: Actor): Promise<MergeRequestRecord> {
    requireStateChange(await this.require(number), actor, 'closing a merge request');
    if (
      !(await this.store.transition(number, 'open', 'closed', { action: 'closed', actor: actor.username }))
    ) {
      throw conflict('merge_request_not_open', `merge request !${number} is not open`);
    }
    const closed = await this.require(number);
    this.announce(closed, 'closed', actor.username);
    return closed;
  }

  async reopen(number: number, actor: Actor): Promise<MergeRequestRecord> {
    requireStateChange(await this.require(number), actor, 'reopening a merge request');
    if (
      !(await this.store.transition(number, 'closed', 'open', { action: 'reopened', actor: actor.username }))
    ) {
      throw conflict('merge_request_not_closed', `merge request !${number} is not closed`);
    }
    const reopened = await this.require(number);
    this.announce(reopened, 'reopened', actor.username);
    return reopened;
  }

  /**
   * Merges into every touched repository at once: all branch updates and the status change
   * commit in one transaction, or nothing does. Conflicts answer `conflict` with the files.
   * The merge gates (permissions first) run before anything is claimed.
   */
  async merge(number: number, actor: Actor): Promise<MergeOutcome> {
    const record = await this.require(number);
    for (const gate of this.deps.gates ?? new Approvals(this.deps).gates()) await gate.check(record, actor);
    const staleBefore = new Date(Date.now() - STALE_MERGE_CLAIM_MS).toISOString();
    if (!(await this.store.claimForMerge(number, staleBefore))) {
      throw conflict('merge_request_not_open', `merge request !${number} is ${record.status}, not open`);
    }
    try {
      return await this.mergeClaimed(record, actor);
    } catch (error) {
      await this.store.transition(number, 'merging', 'open', { action: '', actor: actor.username });
      throw error;
    }
  }

  private async mergeClaimed(record: MergeRequestRecord, actor: Actor): Promise<MergeOutcome> {
    const targets = await this.planMerge(record, actor);
    await this.writeMergeObjects(targets);
    const merged = await this.applyMerge(record, actor, targets);
    this.announce(record, 'merged', actor.username);
    for (const target of targets) {
      const moved = merged.find((item) => item.repoPath === target.repoPath);
      if (!moved) continue;
      this.deps.events.emit({
        type: 'push',
        repoPath: target.repoPath,
        actor: actor.username,
        refs: [{ name: target.headRef, before: target.current, after: moved.commit }],
      });
    }
    return { number: record.number, merged };
  }

  /** Plans the merge into each touched repository; refuses with every conflicting file at once. */
  private async planMerge(record: MergeRequestRecord, actor: Actor): Promise<MergeTarget[]> {
    const { monorepo } = this.deps;
    const ident = this.mergeIdent(actor);
    const message = `Merge request !${record.number}: ${record.title}\n`;
    const targets: MergeTarget[] = [];
    const conflicts: Array<{ repository: string; path: string }> = [];
    for (const change of record.changes) {
      const repository = await monorepo.repositories.find(change.repoPath);
      if (!repository)
        throw notFound('repository_not_found', `repository ${change.repoPath} no longer exists`);
      const headRef = targetRefOf(record, repository);
      const current = await monorepo.refs.get(repository.id, headRef);
      if (!current) throw conflict('merge_target_missing', `${change.repoPath} has no ${headRef}`);
      const plan = await planRepositoryMerge(monorepo.objects.source, {
        base: change.baseCommit,
        proposed: change.headCommit,
        current,
        message,
        ident,
        squash: headRef !== repository.headRef,
      });
      if (plan.kind === 'conflict')
        appendAll(
          conflicts,
          plan.paths.map((path) => ({ repository: change.repoPath, path })),
        );
      targets.push({
        repoId: repository.id,
        repoPath: change.repoPath,
        headRef,
        current,
        plan,
      });
    }
    if (conflicts.length > 0) {
      // What the refusal found is the current verdict: readers see it without recomputing.
      await this.store.setMergeability(record.number, {
        state: 'conflict',
        conflicts,
        targets: Object.fromEntries(targets.map((target) => [target.repoPath, target.current])),
      });
      throw conflict(
        'merge_conflict',
        `merge request !${record.number} conflicts with changes merged since it was opened`,
        {
          files: conflicts,
        },
      );
    }
    return targets;
  }

  /** The merge commits' author and committer line, at the time of the merge. */
  private mergeIdent(actor: Actor): string {
    const time = Math.floor((this.deps.now ?? (() => Date.now() / 1000))());
    return `${actor.username.replace(/[<>\n\r\0]/g, '') || 'mega'} <${encodeURIComponent(actor.username)}@mega.local> ${time} +0000`;
  }

  /** Stores the merge commits and their new trees, and links the reused objects, before any ref moves. */
  private async writeMergeObjects(targets: readonly MergeTarget[]): Promise<void> {
    const { monorepo } = this.deps;
    for (const { repoId, plan } of targets) {
      if (plan.kind !== 'merge') continue;
      await monorepo.objects.write(repoId, plan.created);
      await monorepo.objects.link(repoId, plan.linked);
    }
  }

  /** Moves every target branch and marks the request merged, in one transaction. */
  private async applyMerge(
    record: MergeRequestRecord,
    actor: Actor,
    targets: readonly MergeTarget[],
  ): Promise<MergeOutcome['merged']> {
    const merged: Array<{ repoPath: string; commit: ObjectId; kind: string }> = [];
    try {
      await this.deps.storage.transaction(async (scope) => {
        const store = scope.monorepo.mergeRequests;
        for (const { repoId, repoPath, headRef, current, plan } of targets) {
          if (plan.kind === 'up-to-date' || plan.kind === 'conflict') continue;
          await scope.refs.updateAtomic(repoId, [{ name: headRef, oldId: current, newId: plan.next }]);
          merged.push({ repoPath, commit: plan.next, kind: plan.kind });
        }
        const done = await store.transition(
          record.number,
          'merging',
          'merged',
          {
            action: 'merged',
            actor: actor.username,
            detail: merged.map((item) => `${item.repoPath} ${item.commit}`).join('\n'),
          },
          new Map(merged.map((item) => [item.repoPath, item.commit])),
        );
        if (!done)
          throw conflict('merge_request_not_open', `merge request !${record.number} changed while merging`);
      });
    } catch (error) {
      if (isMegaError(error, 'conflict', 'ref_conflict')) {
        throw conflict('merge_target_moved', 'a target branch moved while merging: try again', {
          retry: true,
        });
      }
      throw error;
    }
    return merged;
  }

  /**
   * "Update from the target": replaces each proposal whose target moved by one commit on the
   * current target head with the line-merged tree (the proposal's author and message kept, the
   * actor as committer), in one transaction with a `target_updated` event. Refused with 409
   * `merge_conflict` (and the files) when a proposal conflicts with its target, and when nothing
   * moved with `merge_request_up_to_date`. The author, or someone with `write` on every touched
   * path, may do it.
   */
  async updateFromTarget(number: number, actor: Actor): Promise<MergeRequestRecord> {
    const record = await this.require(number);
    if (actor.authority !== OPERATOR) {
      requireVisible(actor.authority, record);
      if (!isAuthor(record, actor)) {
        for (const path of touchedPaths(record)) {
          actor.authority.require(path, 'write', 'updating a merge request from its target');
        }
      }
    }
    if (record.status !== 'open') {
      throw conflict('merge_request_not_open', `merge request !${number} is ${record.status}, not open`);
    }
    const rebased = await rebaseOntoTargets(this.deps, record, this.mergeIdent(actor));
    if (rebased.length === 0) {
      throw conflict('merge_request_up_to_date', `merge request !${number} is already based on its targets`);
    }
    const done = await this.store.rebaseChanges(number, rebased, {
      action: 'target_updated',
      actor: actor.username,
      detail: rebased.map((item) => `${item.repoPath} ${item.headCommit}`).join('\n'),
    });
    if (!done) {
      throw conflict('merge_target_moved', `merge request !${number} changed while updating: try again`, {
        retry: true,
      });
    }
    const updated = await this.require(number);
    this.announce(updated, 'target_updated', actor.username);
    return updated;
  }

  /** Publishes a merge request event (webhooks, mergeability) after it was committed. */
  announce(record: MergeRequestRecord, action: MergeRequestAction, actor: string): void {
    this.deps.events.emit({
      type: 'merge_request',
      action,
      number: record.number,
      actor,
      paths: [...new Set([record.viewPath, ...touchedPaths(record)])],
    });
  }

  private async require(number: number): Promise<MergeRequestRecord> {
    const record = await this.store.get(number);
    if (!record) throw notFound('merge_request_not_found', `no merge request !${number}`);
    return record;
  }
}
