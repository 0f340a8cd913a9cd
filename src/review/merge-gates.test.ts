import { describe, expect, it } from 'vitest';
import { parseObjectId } from '../git/object-id.js';
import { Permissions, type EffectiveGrant, type PathSetting } from '../access/permissions.js';
import type { Scope } from '../access/roles.js';
import { isMegaError } from '../platform/errors.js';
import type { MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';
import type { ReviewState } from './review-state.js';
import {
  MERGEABILITY_GATE,
  OPERATOR,
  PERMISSION_GATE,
  requireStateChange,
  reviewGates,
  type Actor,
  type MergeGate,
} from './merge-gates.js';

const ID = parseObjectId('a'.repeat(40));
const AUTHOR_ID = 1;

function request(paths: readonly string[], viewPath = '/projects'): MergeRequestRecord {
  return {
    number: 7,
    title: 't',
    description: '',
    targetBranch: undefined,
    mergeability: { state: 'unknown', conflicts: [], targets: {} },
    status: 'open',
    viewPath,
    refName: 'refs/heads/main',
    pushedCommit: ID,
    baseViewCommit: ID,
    author: 'alice',
    authorId: AUTHOR_ID,
    createdAt: '',
    updatedAt: '',
    changes: paths.map((repoPath) => ({ repoPath, baseCommit: ID, headCommit: ID })),
  };
}

function actor(
  userId: number,
  grants: readonly EffectiveGrant[],
  options: { admin?: boolean; settings?: readonly PathSetting[]; scopes?: readonly Scope[] } = {},
): Actor {
  const username = userId === AUTHOR_ID ? 'alice' : `user${userId}`;
  const principal = {
    kind: 'user',
    userId,
    username,
    isAdmin: options.admin ?? false,
    scopes: options.scopes ?? ['read', 'write', 'admin'],
  } as const;
  return {
    username,
    userId,
    authority: new Permissions(principal, grants, options.settings ?? [], 'internal'),
  };
}

/** The code a gate refuses with, `ok` when it lets the actor through. */
function outcome(check: () => void): string {
  try {
    check();
    return 'ok';
  } catch (error) {
    if (isMegaError(error)) return `${error.kind}:${error.code}:${String(error.details.path ?? '')}`;
    throw error;
  }
}

const SELF_MERGE: PathSetting[] = [{ path: '/projects', visibility: null, selfMerge: true }];
const FOO = '/projects/foo';
const BAR = '/projects/bar';
const maintainFoo = [{ path: FOO, role: 'maintain' as const }];

describe('merge gate: maintain on every touched path, self-merge per path', () => {
  const single = request([FOO]);
  const both = request([FOO, BAR]);
  it.each([
    ['author without a grant', actor(AUTHOR_ID, []), single, 'forbidden:merge_forbidden:/projects/foo'],
    [
      'author with write',
      actor(AUTHOR_ID, [{ path: FOO, role: 'write' }]),
      single,
      'forbidden:merge_forbidden:/projects/foo',
    ],
    [
      'author maintainer, self-merge off',
      actor(AUTHOR_ID, maintainFoo),
      single,
      'forbidden:self_merge_not_allowed:/projects/foo',
    ],
    [
      'author maintainer, self-merge on',
      actor(AUTHOR_ID, maintainFoo, { settings: SELF_MERGE }),
      single,
      'ok',
    ],
    [
      'author admin, self-merge off',
      actor(AUTHOR_ID, [], { admin: true }),
      single,
      'forbidden:self_merge_not_allowed:/projects/foo',
    ],
    [
      'author admin, self-merge on',
      actor(AUTHOR_ID, [], { admin: true, settings: SELF_MERGE }),
      single,
      'ok',
    ],
    ['writer', actor(2, [{ path: FOO, role: 'write' }]), single, 'forbidden:merge_forbidden:/projects/foo'],
    ['maintainer', actor(2, maintainFoo), single, 'ok'],
    ['maintainer through a parent grant', actor(2, [{ path: '/projects', role: 'maintain' }]), both, 'ok'],
    [
      'maintainer of a parent, writer of one repository',
      actor(2, [
        { path: '/projects', role: 'maintain' },
        { path: BAR, role: 'write' },
      ]),
      both,
      'forbidden:merge_forbidden:/projects/bar',
    ],
    ['admin', actor(2, [], { admin: true }), both, 'ok'],
    [
      'multi-path: maintain on one, read on the other',
      actor(2, [...maintainFoo, { path: BAR, role: 'read' }]),
      both,
      'forbidden:merge_forbidden:/projects/bar',
    ],
    [
      'maintainer whose token has only the read scope',
      actor(2, maintainFoo, { scopes: ['read'] }),
      single,
      'forbidden:merge_forbidden:/projects/foo',
    ],
    [
      'self-merge allowed on one path only',
      actor(AUTHOR_ID, [{ path: '/projects', role: 'maintain' }], {
        settings: [{ path: FOO, visibility: null, selfMerge: true }],
      }),
      both,
      'forbidden:self_merge_not_allowed:/projects/bar',
    ],
  ])('%s', (_name, who, mr, expected) => {
    expect(outcome(() => void PERMISSION_GATE.check(mr, who))).toBe(expected);
  });

  it('an unreadable merge request does not exist for the actor', () => {
    const hidden: PathSetting[] = [{ path: BAR, visibility: 'private', selfMerge: null }];
    expect(outcome(() => void PERMISSION_GATE.check(both, actor(2, maintainFoo, { settings: hidden })))).toBe(
      'not_found:merge_request_not_found:',
    );
  });

  it("operators' commands bypass the gate", () => {
    expect(outcome(() => void PERMISSION_GATE.check(both, { username: 'root', authority: OPERATOR }))).toBe(
      'ok',
    );
  });
});

describe('closing and reopening: maintainers of every touched path, or the author', () => {
  const both = request([FOO, BAR]);
  it.each([
    ['the author without a grant', actor(AUTHOR_ID, []), 'ok'],
    ['a maintainer of every path', actor(2, [{ path: '/projects', role: 'maintain' }]), 'ok'],
    ['a maintainer of one path', actor(2, maintainFoo), 'forbidden:access_denied:/projects/bar'],
    ['a writer', actor(2, [{ path: '/projects', role: 'write' }]), 'forbidden:access_denied:/projects/bar'],
    ['an admin', actor(2, [], { admin: true }), 'ok'],
  ])('%s', (_name, who, expected) => {
    expect(outcome(() => requireStateChange(both, who, 'closing a merge request'))).toBe(expected);
  });
});

describe('review gates', () => {
  const state = (over: Partial<ReviewState> = {}): ReviewState => ({
    approvals: { required: 0, given: [], stale: [], list: [] },
    codeOwners: [],
    checks: [],
    warnings: [],
    ...over,
  });
  const refusal = async (gate: MergeGate, record: MergeRequestRecord) => {
    try {
      await gate.check(record, actor(2, []));
      return undefined;
    } catch (error) {
      if (!isMegaError(error)) throw error;
      return { code: error.code, kind: error.kind, details: error.details };
    }
  };
  const gatesFor = (value: ReviewState) => reviewGates(() => Promise.resolve(value));

  it('mergeability: a stored conflict refuses, unknown and clean let the merge decide', async () => {
    const conflicted = {
      ...request(['/projects/a']),
      mergeability: {
        state: 'conflict' as const,
        conflicts: [{ repository: '/projects/a', path: 'x' }],
        targets: {},
      },
    };
    expect(await refusal(MERGEABILITY_GATE, conflicted)).toEqual({
      code: 'merge_conflict',
      kind: 'conflict',
      details: { files: [{ repository: '/projects/a', path: 'x' }] },
    });
    expect(await refusal(MERGEABILITY_GATE, request(['/projects/a']))).toBeUndefined();
  });

  it('approvals: fewer fresh approvals than required refuses with required, given and stale', async () => {
    const [approvals] = gatesFor(
      state({ approvals: { required: 2, given: ['bob'], stale: ['carol'], list: [] } }),
    );
    expect(await refusal(approvals!, request(['/projects/a']))).toMatchObject({
      code: 'approvals_required',
      kind: 'conflict',
      details: { required: 2, given: ['bob'], stale: ['carol'] },
    });
    const [enough] = gatesFor(state({ approvals: { required: 1, given: ['bob'], stale: [], list: [] } }));
    expect(await refusal(enough!, request(['/projects/a']))).toBeUndefined();
    const [none] = gatesFor(state());
    expect(await refusal(none!, request(['/projects/a']))).toBeUndefined();
  });

  it('code owners: every required rule needs an approval; optional sections never block', async () => {
    const rule = {
      source: '/projects/a:CODEOWNERS',
      section: '',
      optional: false,
      pattern: '*',
      line: 1,
      owners: ['@carol'],
      paths: Array.from({ length: 30 }, (_, i) => `/projects/a/f${i}`),
      eligible: ['carol'],
      approvedBy: [],
      satisfied: false,
    };
    const [, owners] = gatesFor(state({ codeOwners: [rule, { ...rule, optional: true, section: 'Docs' }] }));
    const refused = await refusal(owners!, request(['/projects/a']));
    expect(refused?.code).toBe('code_owner_approval_required');
    expect(refused?.details).toMatchObject({ missing: [{ owners: ['@carol'], morePaths: 10 }] });
    expect((refused?.details.missing as Array<{ paths: string[] }>)[0]!.paths).toHaveLength(20);
    const [, satisfied] = gatesFor(
      state({ codeOwners: [{ ...rule, satisfied: true, approvedBy: ['carol'] }] }),
    );
    expect(await refusal(satisfied!, request(['/projects/a']))).toBeUndefined();
  });

  it('checks: a required context passes only with success, reported per repository', async () => {
    const check = (repoPath: string, context: string, checkState: string, required = true) => ({
      repoPath,
      commit: ID,
      context,
      state: checkState,
      required,
    });
    const [, , checks] = gatesFor(
      state({
        checks: [
          check('/projects/a', 'build', 'success'),
          check('/projects/a', 'lint', 'pending'),
          check('/projects/b', 'build', 'missing'),
          check('/projects/b', 'e2e', 'failure', false),
          check('/projects/c', 'build', 'error'),
        ],
      }),
    );
    expect(await refusal(checks!, request(['/projects/a', '/projects/b', '/projects/c']))).toMatchObject({
      code: 'checks_required',
      details: {
        repositories: [
          { repoPath: '/projects/a', missing: [], failing: [{ context: 'lint', state: 'pending' }] },
          { repoPath: '/projects/b', missing: ['build'], failing: [] },
          { repoPath: '/projects/c', missing: [], failing: [{ context: 'build', state: 'error' }] },
        ],
      },
    });
    const [, , optionalOnly] = gatesFor(state({ checks: [check('/projects/a', 'e2e', 'failure', false)] }));
    expect(await refusal(optionalOnly!, request(['/projects/a']))).toBeUndefined();
  });
});
