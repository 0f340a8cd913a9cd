import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, revParse } from '../../tests/support/git-fixtures.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import type { ObjectId } from '../git/object-id.js';
import { isMegaError } from '../platform/errors.js';
import { loadGitRepository } from '../repo/browse/testing/git-object-source.js';
import type { MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';
import type { ApprovalRecord } from '../storage/review/approval-store.js';
import type { StoredReviewRule } from '../storage/review/review-rule-store.js';
import { Approvals } from './approvals.js';
import type { CommitStatusRecord } from './commit-statuses.js';
import { OPERATOR } from './merge-gates.js';
import type { ReviewDeps } from './review-deps.js';
import { ReviewEvents } from './review-events.js';

/**
 * The review state and merge status over fake stores and a fake `CommitStatuses` (the real one is
 * the checks work's): rules, stale approvals and required checks per repository.
 */
describe('Approvals: review state and merge status', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let base: ObjectId;
  let head: ObjectId;
  let source: Awaited<ReturnType<typeof loadGitRepository>>['objects'];
  const rules: StoredReviewRule[] = [];
  const approvals: ApprovalRecord[] = [];
  const statuses = new Map<string, CommitStatusRecord[]>();
  const recorded: string[] = [];

  beforeAll(async () => {
    temp = await makeTempDir('mega-approvals-');
    const dir = join(temp.path, 'repo');
    await makeRepo(dir, [{ 'a.txt': '1\n' }, { 'a.txt': '2\n' }]);
    base = (await revParse(dir, 'HEAD~1')) as ObjectId;
    head = (await revParse(dir, 'HEAD')) as ObjectId;
    source = (await loadGitRepository(dir)).objects;
  });
  afterAll(async () => {
    await temp?.remove();
  });

  const record = (): MergeRequestRecord =>
    ({
      number: 5,
      title: 't',
      status: 'open',
      viewPath: '/projects',
      pushedCommit: head,
      author: 'alice',
      authorId: 1,
      targetBranch: undefined,
      mergeability: { state: 'clean', conflicts: [], targets: {} },
      changes: [
        { repoPath: '/projects/a', baseCommit: base, headCommit: head },
        { repoPath: '/projects/b', baseCommit: base, headCommit: head },
      ],
    }) as unknown as MergeRequestRecord;

  const service = () => {
    const deps = {
      storage: {
        review: {
          rules: { onPaths: async (paths: string[]) => rules.filter((rule) => paths.includes(rule.path)) },
          approvals: { list: async () => approvals },
        },
        monorepo: {
          mergeRequests: {
            get: async () => record(),
            recordEvent: async (_n: number, event: { action: string }) => void recorded.push(event.action),
          },
        },
        users: { findUser: async () => undefined, listUsers: async () => [] },
        access: { group: async () => ({ members: [] }) },
      },
      monorepo: {
        objects: { source },
        repositories: { find: async () => undefined },
        refs: { get: async () => undefined },
      },
      events: new ReviewEvents(),
      baseUrl: () => 'http://mega',
    } as unknown as ReviewDeps;
    const latest = async (repoPath: string, commit: ObjectId) => {
      expect(commit).toBe(head);
      return statuses.get(repoPath) ?? [];
    };
    return new Approvals(deps, { latest });
  };
  const status = (repoPath: string, context: string, state: CommitStatusRecord['state']) =>
    ({ repoPath, commit: head, context, state, creator: 'ci', createdAt: '', updatedAt: '' }) as const;
  const operator = { username: 'root', authority: OPERATOR };

  it('without rules or owners, nothing blocks and no status is read', async () => {
    const merge = await service().mergeStatus(5, operator);
    expect(merge).toMatchObject({ canMerge: true, blockers: [], checks: [], codeOwners: [] });
  });

  it('counts fresh approvals only, takes the max rule, and reports each required check', async () => {
    rules.push(
      { path: '/projects', requiredApprovals: 1, requiredChecks: ['build'], updatedAt: '' },
      { path: '/projects/b', requiredApprovals: 2, requiredChecks: null, updatedAt: '' },
    );
    approvals.push(
      { userId: 2, username: 'bob', commit: head, createdAt: '' },
      { userId: 3, username: 'carol', commit: base, createdAt: '' },
    );
    statuses.set('/projects/a', [
      status('/projects/a', 'build', 'success'),
      status('/projects/a', 'lint', 'failure'),
    ]);
    statuses.set('/projects/b', [status('/projects/b', 'build', 'pending')]);
    const merge = await service().mergeStatus(5, operator);
    expect(merge.canMerge).toBe(false);
    expect(merge.approvals).toMatchObject({ required: 2, given: ['bob'], stale: ['carol'] });
    expect(merge.checks).toEqual([
      { repoPath: '/projects/a', commit: head, context: 'build', state: 'success', required: true },
      { repoPath: '/projects/a', commit: head, context: 'lint', state: 'failure', required: false },
      { repoPath: '/projects/b', commit: head, context: 'build', state: 'pending', required: true },
    ]);
    expect(merge.blockers.map((blocker) => blocker.code)).toEqual(['approvals_required', 'checks_required']);

    // The merge runs the same gates and stops at the first.
    const gates = service().gates();
    const refusals: string[] = [];
    for (const gate of gates) {
      try {
        await gate.check(record(), operator);
      } catch (error) {
        if (isMegaError(error)) refusals.push(error.code);
      }
    }
    expect(refusals).toEqual(['approvals_required', 'checks_required']);
  });

  it('authors cannot approve; anonymous callers cannot either', async () => {
    const approvalsService = service();
    const author = { username: 'alice', userId: 1, authority: OPERATOR };
    await expect(approvalsService.approve(5, author)).rejects.toMatchObject({
      code: 'self_approval_not_allowed',
    });
    await expect(approvalsService.approve(5, { username: '', authority: OPERATOR })).rejects.toMatchObject({
      code: 'authentication_required',
    });
    expect(recorded).toEqual([]);
  });
});
