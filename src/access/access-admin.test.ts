import { expect, it } from 'vitest';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { AccessStore } from '../storage/access/access-store.js';
import { UserStore } from '../storage/user-store.js';
import { AccessAdmin, parseSubject, subjectLabel } from './access-admin.js';
import { parseAccessPath } from './paths.js';

it('makes paths canonical and refuses ones that could alias or escape', () => {
  const ok: Array<[string, string]> = [
    ['/', '/'],
    ['', '/'],
    ['projects/a', '/projects/a'],
    ['/projects/a/', '/projects/a'],
    ['/projects/a.git', '/projects/a'],
    ['/import/lib.git/', '/import/lib'],
  ];
  for (const [input, path] of ok) expect({ input, path: parseAccessPath(input) }).toEqual({ input, path });
  for (const bad of ['/a/../b', '/a/./b', '/a//b', '/a.git/b', '/a\\b', '/a\u0000', `/${'x'.repeat(1100)}`]) {
    expect(() => parseAccessPath(bad), bad).toThrow(expect.objectContaining({ code: 'access_path_invalid' }));
  }
  expect(parseSubject('@team')).toEqual({ kind: 'group', name: 'team' });
  expect(parseSubject('alice')).toEqual({ kind: 'user', name: 'alice' });
  expect(subjectLabel({ subjectKind: 'group', subjectName: 'team' })).toBe('@team');
});

describeEachDialect('access management', (getDb) => {
  const stores = () => {
    const { db, capabilities } = getDb().database;
    return { access: new AccessStore(db, capabilities), users: new UserStore(db, capabilities) };
  };

  it('grants to users and groups on canonical paths, lists below a path, revokes', async () => {
    const { access, users } = stores();
    const admin = new AccessAdmin({ access, users });
    await users.createUser({ username: 'ann' });
    await users.createUser({ username: 'ben' });
    await admin.createGroup('crew');
    await admin.addMember('crew', 'ben');
    expect(await admin.grant('projects/x.git', parseSubject('ann'), 'maintain')).toEqual({
      path: '/projects/x',
      role: 'maintain',
    });
    await admin.grant('/projects/x', parseSubject('ann'), 'write');
    await admin.grant('/import', parseSubject('@crew'), 'read');
    const grants = await admin.grants('/projects');
    expect(grants.map((grant) => [grant.path, subjectLabel(grant), grant.role])).toEqual([
      ['/projects/x', 'ann', 'write'],
    ]);
    expect((await admin.grants()).map((grant) => grant.path)).toEqual(['/import', '/projects/x']);
    await admin.revoke('/projects/x/', parseSubject('ann'));
    await expect(admin.revoke('/projects/x', parseSubject('ann'))).rejects.toMatchObject({
      code: 'grant_not_found',
    });
    await expect(admin.grant('/p', parseSubject('ghost'), 'read')).rejects.toMatchObject({
      code: 'user_not_found',
    });
    await expect(admin.grant('/p', parseSubject('@ghosts'), 'read')).rejects.toMatchObject({
      code: 'group_not_found',
    });
    await expect(admin.grant('/p', parseSubject('ann'), 'owner')).rejects.toMatchObject({
      code: 'role_invalid',
    });
    await expect(admin.grant('/p', parseSubject('@'), 'read')).rejects.toMatchObject({
      code: 'subject_invalid',
    });
  });

  it('sets and clears path settings, and protected-branch patterns', async () => {
    const { access, users } = stores();
    const admin = new AccessAdmin({ access, users });
    expect(await admin.setPathSetting('/secret', { visibility: 'private' })).toEqual({
      path: '/secret',
      visibility: 'private',
      selfMerge: null,
    });
    await admin.setPathSetting('/secret', { selfMerge: true });
    expect(await admin.pathSetting('/secret/')).toEqual({
      path: '/secret',
      visibility: 'private',
      selfMerge: true,
    });
    await admin.setPathSetting('/secret', { visibility: null, selfMerge: null });
    expect(await admin.pathSetting('/secret')).toEqual({
      path: '/secret',
      visibility: null,
      selfMerge: null,
    });
    await expect(admin.setPathSetting('/secret', { visibility: 'hidden' })).rejects.toMatchObject({
      code: 'visibility_invalid',
    });
    await admin.protect('/projects/y.git', 'release/**');
    await admin.protect('/projects/y', 'release/**');
    expect(await admin.protectedBranches('/projects/y')).toEqual([
      { repoPath: '/projects/y', pattern: 'release/**' },
    ]);
    await expect(admin.protect('/projects/y', 'bad..name')).rejects.toMatchObject({
      code: 'branch_pattern_invalid',
    });
    await admin.unprotect('/projects/y', 'release/**');
    expect(await admin.protectedBranches('/projects/y')).toEqual([]);
  });

  it('adds and removes group members by name', async () => {
    const { access, users } = stores();
    const admin = new AccessAdmin({ access, users });
    await users.createUser({ username: 'cid' });
    await admin.createGroup('ops');
    expect((await admin.addMember('ops', 'cid')).members).toEqual(['cid']);
    expect((await admin.addMember('ops', 'cid')).members).toEqual(['cid']);
    expect((await admin.removeMember('ops', 'cid')).members).toEqual([]);
    await expect(admin.removeMember('ops', 'cid')).rejects.toMatchObject({ code: 'user_not_found' });
    await expect(admin.addMember('ops', 'nobody')).rejects.toMatchObject({ code: 'user_not_found' });
    await admin.deleteGroup('ops');
    await expect(admin.deleteGroup('ops')).rejects.toMatchObject({ code: 'group_not_found' });
  });
});
