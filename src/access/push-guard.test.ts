import { describe, expect, it } from 'vitest';
import type { CommitSummary } from '../git/commit.js';
import type { ObjectId } from '../git/object-id.js';
import { completeObjectSource } from '../repo/single-read-objects.js';
import type {
  PushContext,
  RefDecision,
  RefUpdateRequest,
  ServedRepository,
} from '../repo/served-repository.js';
import { codeOf } from '../../tests/support/mega-errors.js';
import { Permissions, type EffectiveGrant, type PathSetting } from './permissions.js';
import { ANONYMOUS, type Principal } from './principal.js';
import { PushGuard, requirePushAccess } from './push-guard.js';
import type { Role } from './roles.js';

const id = (digit: string) => digit.repeat(40) as ObjectId;
const ZERO = id('0');
// a ← b (b fast-forwards a); c is unrelated.
const COMMITS = new Map<ObjectId, CommitSummary>([
  [id('a'), { id: id('a'), tree: id('e'), parents: [], committerTime: 100 }],
  [id('b'), { id: id('b'), tree: id('e'), parents: [id('a')], committerTime: 200 }],
  [id('c'), { id: id('c'), tree: id('e'), parents: [], committerTime: 300 }],
]);
const objects = completeObjectSource({
  hasObjects: async (ids) => new Set(ids.filter((one) => COMMITS.has(one))),
  readObject: async () => undefined,
  readCommit: async (one) => COMMITS.get(one),
});
const REPO = '/import/app';

const user = (userId: number, isAdmin = false): Principal => ({
  kind: 'user',
  userId,
  username: `user${userId}`,
  isAdmin,
  scopes: isAdmin ? ['read', 'write', 'admin'] : ['read', 'write'],
});

function permissionsWith(role: Role | undefined, settings: PathSetting[] = [], isAdmin = false): Permissions {
  const grants: EffectiveGrant[] = role ? [{ path: REPO, role }] : [];
  return new Permissions(user(7, isAdmin), grants, settings, 'public');
}

function repository(inner: RefDecision = { action: 'accept' }, exists = true): ServedRepository {
  return {
    path: REPO,
    exists,
    writable: true,
    listRefs: async () => ({ refs: [], headTarget: 'refs/heads/main' }),
    objects,
    pushPolicy: { decide: async () => inner },
    receivePack: async () => ({ ids: [] }),
    updateRefs: async () => new Map(),
  } as ServedRepository;
}

const context: PushContext = {
  principal: { userId: 7, username: 'user7', isAdmin: false },
  pushOptions: [],
  objects,
};

async function decide(
  role: Role | undefined,
  update: RefUpdateRequest,
  options: { patterns?: string[]; admin?: boolean; inner?: RefDecision; exists?: boolean } = {},
): Promise<RefDecision> {
  const guard = new PushGuard(
    {
      protectedBranches: async () => (options.patterns ?? []).map((pattern) => ({ repoPath: REPO, pattern })),
    },
    { protectDefaultBranch: true },
  );
  const guarded = guard.guard(
    repository(options.inner, options.exists),
    permissionsWith(role, [], options.admin),
  );
  return guarded.pushPolicy.decide(update, context);
}

const update = (refName: string, oldId: ObjectId, newId: ObjectId): RefUpdateRequest => ({
  refName,
  oldId,
  newId,
});
const reject = (reason: string) => ({ action: 'reject', reason });
const ACCEPT = { action: 'accept' };

describe('PushGuard', () => {
  it.each([
    ['creates and fast-forwards a branch', 'write', update('refs/heads/topic', id('a'), id('b')), ACCEPT],
    ['creates a tag', 'write', update('refs/tags/v1', ZERO, id('a')), ACCEPT],
    [
      'force-push needs maintain',
      'write',
      update('refs/heads/topic', id('b'), id('c')),
      reject('a non-fast-forward update (force-push) needs the maintain role on /import/app'),
    ],
    ['maintainers force-push', 'maintain', update('refs/heads/topic', id('b'), id('c')), ACCEPT],
    [
      'deleting a branch needs maintain',
      'write',
      update('refs/heads/topic', id('a'), ZERO),
      reject('deleting a branch needs the maintain role on /import/app'),
    ],
    [
      'deleting a tag needs maintain',
      'write',
      update('refs/tags/v1', id('a'), ZERO),
      reject('deleting a tag needs the maintain role on /import/app'),
    ],
    [
      'moving a tag needs maintain, even forward',
      'write',
      update('refs/tags/v1', id('a'), id('b')),
      reject('moving a tag needs the maintain role on /import/app'),
    ],
    ['maintainers delete tags', 'maintain', update('refs/tags/v1', id('a'), ZERO), ACCEPT],
    [
      'the default branch (no patterns) needs maintain to move',
      'write',
      update('refs/heads/main', id('a'), id('b')),
      reject('updating the protected branch main needs the maintain role on /import/app'),
    ],
    [
      'maintainers fast-forward the default branch',
      'maintain',
      update('refs/heads/main', id('a'), id('b')),
      ACCEPT,
    ],
    [
      'nobody rewinds the default branch',
      'maintain',
      update('refs/heads/main', id('b'), id('c')),
      reject('non-fast-forward update of a protected branch'),
    ],
    [
      'nobody deletes the default branch',
      'maintain',
      update('refs/heads/main', id('a'), ZERO),
      reject('deleting the default branch is not allowed'),
    ],
  ] as const)('%s', async (_name, role, request, expected) => {
    expect(await decide(role, request)).toEqual(expected);
  });

  it('protects the patterns instead of the default branch when a repository has some', async () => {
    const patterns = ['release/*'];
    expect(await decide('write', update('refs/heads/main', id('a'), id('b')), { patterns })).toEqual(ACCEPT);
    expect(await decide('write', update('refs/heads/release/1.0', ZERO, id('a')), { patterns })).toEqual(
      reject('updating the protected branch release/1.0 needs the maintain role on /import/app'),
    );
    expect(
      await decide('maintain', update('refs/heads/release/1.0', id('a'), id('b')), { patterns }),
    ).toEqual(ACCEPT);
    expect(await decide('admin', update('refs/heads/release/1.0', id('a'), ZERO), { patterns })).toEqual(
      reject('deleting a protected branch is not allowed'),
    );
    expect(
      await decide('maintain', update('refs/tags/v1', id('a'), id('b')), { patterns: ['refs/tags/v*'] }),
    ).toEqual(reject('moving a protected tag is not allowed'));
  });

  it('administrators keep every right but the protected-branch rule', async () => {
    expect(await decide(undefined, update('refs/heads/topic', id('b'), id('c')), { admin: true })).toEqual(
      ACCEPT,
    );
    expect(await decide(undefined, update('refs/heads/main', id('b'), id('c')), { admin: true })).toEqual(
      reject('non-fast-forward update of a protected branch'),
    );
  });

  it("checks only updates the repository's policy accepts, and not a first push", async () => {
    const handled: RefDecision = { action: 'handled', messages: ['merge request !1'] };
    expect(await decide('write', update('refs/heads/main', id('b'), id('c')), { inner: handled })).toEqual(
      handled,
    );
    const refused: RefDecision = { action: 'reject', reason: 'inner says no' };
    expect(await decide('write', update('refs/heads/topic', id('a'), ZERO), { inner: refused })).toEqual(
      refused,
    );
    expect(await decide('write', update('refs/heads/main', ZERO, id('a')), { exists: false })).toEqual(
      ACCEPT,
    );
  });
});

describe('requirePushAccess', () => {
  const hidden = [{ path: '/import/secret', visibility: 'private', selfMerge: null }] as const;
  const target = (path: string, exists = true) => ({ path, exists });

  it('needs write on the repository, or on the parent to create one', async () => {
    expect(await codeOf(() => requirePushAccess(permissionsWith('write'), target(REPO)))).toBe('no error');
    expect(await codeOf(() => requirePushAccess(permissionsWith('read'), target(REPO)))).toBe(
      'access_denied',
    );
    const creator = new Permissions(user(7), [{ path: '/import', role: 'write' }], [], 'public');
    expect(await codeOf(() => requirePushAccess(creator, target('/import/new', false)))).toBe('no error');
    expect(
      await codeOf(() => requirePushAccess(permissionsWith('maintain'), target('/import/new', false))),
    ).toBe('access_denied');
  });

  it('answers an unreadable repository as a missing one', async () => {
    const stranger = permissionsWith(undefined, [...hidden]);
    expect(await codeOf(() => requirePushAccess(stranger, target('/import/secret')))).toBe(
      'repository_not_found',
    );
    const anonymous = new Permissions(ANONYMOUS, [], [...hidden], 'public');
    expect(await codeOf(() => requirePushAccess(anonymous, target('/import/secret')))).toBe(
      'authentication_required',
    );
  });
});
