import type { ObjectId } from '../git/object-id.js';
import { conflict, forbidden, invalid, isMegaError, notFound, unauthorized } from '../platform/errors.js';
import { MegaDirectory } from '../monorepo/mega-directory.js';
import type { MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';
import { CodeOwnerLookup } from './code-owner-lookup.js';
import type { ApprovalView, CheckStatus, ReviewState } from './review-state.js';
import { CommitStatuses } from './commit-statuses.js';
import {
  isAuthor,
  MERGEABILITY_GATE,
  OPERATOR,
  PERMISSION_GATE,
  requireVisible,
  reviewGates,
  touchedPaths,
  type Actor,
  type MergeGate,
} from './merge-gates.js';
import type { ReviewDeps } from './review-deps.js';

export type { ApprovalView, CheckStatus, CodeOwnerStatus, ReviewState } from './review-state.js';
import {
  effectiveRule,
  pathAndAncestors,
  requirementOf,
  validateRuleChange,
  type EffectiveReviewRule,
} from './review-rules.js';
import type { StoredReviewRule } from '../storage/review/review-rule-store.js';

export interface MergeBlocker {
  readonly gate: string;
  readonly code: string;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface MergeStatus extends ReviewState {
  readonly number: number;
  readonly canMerge: boolean;
  readonly mergeability: string;
  readonly blockers: readonly MergeBlocker[];
}

/**
 * Approvals, the per-path review rules (required approvals and check contexts) and CODEOWNERS:
 * who must approve a merge request before it merges, and why a merge is refused (`mergeStatus`).
 *
 * Rules of approving: a signed-in user who can see the merge request; not its author (an author's
 * approval would make "one approval" mean none); only while it is open. An approval is of the
 * pushed commit at that moment: after a new push it is kept but stale (shown, not counted; GitLab's
 * "remove approvals on push"), and approving again refreshes it.
 */
export class Approvals {
  private readonly states = new WeakMap<MergeRequestRecord, Promise<ReviewState>>();

  constructor(
    private readonly deps: ReviewDeps,
    private readonly statuses: Pick<CommitStatuses, 'latest'> = new CommitStatuses(deps),
  ) {}

  /** The gates of every merge: permissions, mergeability, approvals, code owners, checks. */
  gates(): MergeGate[] {
    return [PERMISSION_GATE, MERGEABILITY_GATE, ...reviewGates((record) => this.stateOf(record))];
  }

  async approve(number: number, actor: Actor): Promise<ApprovalView[]> {
    const record = await this.openFor(number, actor);
    if (isAuthor(record, actor)) {
      throw forbidden('self_approval_not_allowed', 'authors cannot approve their own merge requests');
    }
    const commit = record.pushedCommit as ObjectId;
    const before = await this.deps.storage.review.approvals.list(number);
    const mine = before.find((approval) => approval.userId === actor.userId);
    if (mine?.commit !== commit) {
      await this.deps.storage.review.approvals.approve(number, {
        userId: actor.userId!,
        username: actor.username,
        commit,
      });
      await this.store.recordEvent(number, { action: 'approved', actor: actor.username, detail: commit });
      this.announce(record, 'approved', actor.username);
    }
    return this.list(number, actor);
  }

  async unapprove(number: number, actor: Actor): Promise<ApprovalView[]> {
    const record = await this.openFor(number, actor);
    if (await this.deps.storage.review.approvals.unapprove(number, actor.userId!)) {
      await this.store.recordEvent(number, { action: 'unapproved', actor: actor.username });
      this.announce(record, 'unapproved', actor.username);
    }
    return this.list(number, actor);
  }

  async list(number: number, viewer: Actor): Promise<ApprovalView[]> {
    const record = await this.visible(number, viewer);
    return this.views(record);
  }

  /**
   * Whether `actor` may merge now and, if not, every reason (all gates run, none stops the
   * others), with the approvals, code owners and checks behind them.
   */
  async mergeStatus(number: number, actor: Actor): Promise<MergeStatus> {
    const record = await this.visible(number, actor);
    const blockers: MergeBlocker[] = [];
    if (record.status !== 'open') {
      blockers.push({
        gate: 'state',
        code: 'merge_request_not_open',
        message: `merge request !${number} is ${record.status}`,
        details: {},
      });
    }
    for (const gate of this.deps.gates ?? this.gates()) {
      try {
        await gate.check(record, actor);
      } catch (error) {
        if (!isMegaError(error)) throw error;
        blockers.push({ gate: gate.name, code: error.code, message: error.message, details: error.details });
      }
    }
    return {
      number,
      canMerge: blockers.length === 0,
      mergeability: record.mergeability.state,
      blockers,
      ...(await this.stateOf(record)),
    };
  }

  /** The rule set on `path` itself (if any) and the one in force there (callers check access). */
  async ruleAt(path: string): Promise<{ own: StoredReviewRule | undefined; effective: EffectiveReviewRule }> {
    const found = await this.deps.storage.review.rules.onPaths(pathAndAncestors(path));
    return { own: found.find((rule) => rule.path === path), effective: effectiveRule(path, found) };
  }

  /** The rules set on exactly these paths, by path (callers check access). */
  async rulesOn(paths: readonly string[]): Promise<StoredReviewRule[]> {
    return this.deps.storage.review.rules.onPaths(paths);
  }

  /**
   * Refuses a path no rule can be set on: rules are looked up by repository path, so one inside
   * a repository would never apply, and one on a mistyped path would silently require nothing.
   * The root, directories and repositories of the Mega directory pass, and so does a path that
   * has a rule already (the rule of a removed repository can still be shown and cleared).
   */
  async requireRulePath(path: string): Promise<void> {
    if ((await this.deps.storage.review.rules.onPaths([path])).length > 0) return;
    const located = await new MegaDirectory(this.deps.monorepo).locate(path);
    if (located.shape === 'absent') {
      throw notFound('directory_path_not_found', `no such path in the Mega directory: ${path}`, { path });
    }
    if (located.shape === 'subdirectory') {
      throw invalid(
        'review_rule_path_invalid',
        `${path} is inside the repository ${located.repoPath}: set the rule on the repository or above`,
        { path, repository: located.repoPath },
      );
    }
  }

  /** Sets the given fields of `path`'s rule after validating them (null: inherit again). */
  async setRule(
    path: string,
    change: {
      readonly requiredApprovals?: number | null;
      readonly requiredChecks?: readonly string[] | null;
    },
  ): Promise<void> {
    const valid = validateRuleChange(change);
    await this.requireRulePath(path);
    await this.deps.storage.review.rules.set(path, valid);
  }

  async removeRule(path: string): Promise<void> {
    await this.deps.storage.review.rules.remove(path);
  }

  /** The review state of a record; memoised per record object, so the gates of one merge share it. */
  stateOf(record: MergeRequestRecord): Promise<ReviewState> {
    let state = this.states.get(record);
    if (!state) {
      state = this.computeState(record);
      this.states.set(record, state);
    }
    return state;
  }

  private async computeState(record: MergeRequestRecord): Promise<ReviewState> {
    const requirement = await requirementOf(this.deps.storage.review.rules, touchedPaths(record));
    const list = await this.views(record);
    const given = list.filter((approval) => !approval.stale).map((approval) => approval.username);
    const owners = await new CodeOwnerLookup(this.deps).requirementsOf(record);
    const codeOwners = owners.requirements.map((rule) => {
      const approvedBy = rule.eligible.filter((name) => given.includes(name));
      return { ...rule, approvedBy, satisfied: approvedBy.length > 0 };
    });
    const checks: CheckStatus[] = [];
    for (const change of record.changes) {
      const required = requirement.checks.get(change.repoPath) ?? [];
      // Statuses are read only where a context is required: nothing else depends on them here.
      if (required.length === 0) continue;
      const latest = await this.statuses.latest(change.repoPath, change.headCommit);
      for (const context of required) {
        const found = latest.find((status) => status.context === context);
        checks.push({
          repoPath: change.repoPath,
          commit: change.headCommit,
          context,
          state: found?.state ?? 'missing',
          required: true,
        });
      }
      for (const status of latest) {
        if (required.includes(status.context)) continue;
        checks.push({ ...status, commit: change.headCommit, required: false });
      }
    }
    return {
      approvals: {
        required: requirement.requiredApprovals,
        given,
        stale: list.filter((approval) => approval.stale).map((approval) => approval.username),
        list,
      },
      codeOwners,
      checks: checks.map(({ repoPath, commit, context, state, required }) => ({
        repoPath,
        commit,
        context,
        state,
        required,
      })),
      warnings: owners.warnings,
    };
  }

  private async views(record: MergeRequestRecord): Promise<ApprovalView[]> {
    const approvals = await this.deps.storage.review.approvals.list(record.number);
    return approvals.map((approval) => ({
      username: approval.username,
      commit: approval.commit,
      createdAt: approval.createdAt,
      stale: approval.commit !== record.pushedCommit,
    }));
  }

  /** The request, if `actor` may see it (an operator sees everything). */
  private async visible(number: number, actor: Actor): Promise<MergeRequestRecord> {
    const record = await this.store.get(number);
    if (!record) throw notFound('merge_request_not_found', `no merge request !${number}`);
    if (actor.authority !== OPERATOR) requireVisible(actor.authority, record);
    return record;
  }

  /** The open request, for a signed-in user who can see it. */
  private async openFor(number: number, actor: Actor): Promise<MergeRequestRecord> {
    if (actor.userId === undefined) {
      throw unauthorized('authentication_required', 'approving needs a signed-in user');
    }
    const record = await this.visible(number, actor);
    if (record.status !== 'open') {
      throw conflict('merge_request_not_open', `merge request !${number} is ${record.status}, not open`);
    }
    return record;
  }

  private announce(record: MergeRequestRecord, action: 'approved' | 'unapproved', actor: string): void {
    this.deps.events.emit({
      type: 'merge_request',
      action,
      number: record.number,
      actor,
      paths: [...new Set([record.viewPath, ...touchedPaths(record)])],
    });
  }

  private get store() {
    return this.deps.storage.monorepo.mergeRequests;
  }
}
