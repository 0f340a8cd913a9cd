import { describe, expect, it } from 'vitest';
import { Permissions, type EffectiveGrant, type PathSetting } from './permissions.js';
import { ANONYMOUS, type Principal } from './principal.js';
import { parseScopes } from './roles.js';
import { codeOf } from '../../tests/support/mega-errors.js';

const user = (scopes = ['read', 'write'], isAdmin = false): Principal => ({
  kind: 'user',
  userId: 7,
  username: 'ana',
  isAdmin,
  scopes: parseScopes(scopes),
});

function permissions(
  principal: Principal,
  grants: EffectiveGrant[] = [],
  settings: PathSetting[] = [],
  defaultVisibility: 'public' | 'internal' = 'public',
) {
  return new Permissions(principal, grants, settings, defaultVisibility);
}

const setting = (path: string, visibility: PathSetting['visibility'], selfMerge: boolean | null = null) => ({
  path,
  visibility,
  selfMerge,
});

describe('Permissions', () => {
  it('takes the most specific grant, not the strongest', () => {
    const p = permissions(user(), [
      { path: '/projects', role: 'write' },
      { path: '/projects/app', role: 'read' },
    ]);
    expect(p.roleAt('/projects/app/sub')).toBe('read');
    expect(p.roleAt('/projects/other')).toBe('write');
    expect(p.roleAt('/projects/application')).toBe('write');
    expect(p.roleAt('/import/x')).toBeUndefined();
  });

  it('on one path, the strongest of own and group grants wins', () => {
    const p = permissions(user(['read', 'write', 'admin']), [
      { path: '/projects/app', role: 'write' },
      { path: '/projects/app', role: 'admin' },
    ]);
    expect(p.roleAt('/projects/app')).toBe('admin');
  });

  it('caps roles by token scope', () => {
    const grants: EffectiveGrant[] = [{ path: '/', role: 'admin' }];
    expect(permissions(user(['read']), grants).roleAt('/x')).toBe('read');
    expect(permissions(user(['read', 'write']), grants).roleAt('/x')).toBe('maintain');
    expect(permissions(user(['read', 'write', 'admin']), grants).roleAt('/x')).toBe('admin');
  });

  it('administrators have every right; anonymous callers none', () => {
    expect(permissions(user(['read', 'write', 'admin'], true)).has('/anything', 'admin')).toBe(true);
    expect(permissions(ANONYMOUS, [{ path: '/', role: 'admin' }]).has('/', 'read')).toBe(false);
  });

  it('reads by the nearest visibility, the installation default otherwise', () => {
    const settings = [setting('/projects/secret', 'private'), setting('/projects/secret/open', 'public')];
    const anonymous = permissions(ANONYMOUS, [], settings);
    expect(anonymous.canRead('/projects/app')).toBe(true);
    expect(anonymous.canRead('/projects/secret/x')).toBe(false);
    expect(anonymous.canRead('/projects/secret/open')).toBe(true);
    expect(anonymous.canSeeInto('/projects/secret')).toBe(true);

    const internal = [setting('/import', 'internal')];
    expect(permissions(ANONYMOUS, [], internal).canRead('/import/a')).toBe(false);
    expect(permissions(user(), [], internal).canRead('/import/a')).toBe(true);
    expect(permissions(ANONYMOUS, [], [], 'internal').canRead('/x')).toBe(false);
  });

  it('a read grant opens a private path and makes its parents navigable', () => {
    const settings = [setting('/projects/secret', 'private')];
    const p = permissions(user(), [{ path: '/projects/secret/app', role: 'read' }], settings);
    expect(p.canRead('/projects/secret/app')).toBe(true);
    expect(p.canRead('/projects/secret/other')).toBe(false);
    expect(p.canSeeInto('/projects/secret')).toBe(true);
    expect(permissions(user(), [], settings).canSeeInto('/projects/secret')).toBe(false);
  });

  it('hides what cannot be read: 401 anonymous, 404 signed in; 403 when visible', async () => {
    const settings = [setting('/p', 'private')];
    expect(await codeOf(() => permissions(ANONYMOUS, [], settings).requireRead('/p/x'))).toBe(
      'authentication_required',
    );
    expect(await codeOf(() => permissions(user(), [], settings).require('/p/x', 'write'))).toBe(
      'repository_not_found',
    );
    expect(await codeOf(() => permissions(user()).require('/q', 'write'))).toBe('access_denied');
    expect(await codeOf(() => permissions(ANONYMOUS).require('/q', 'write'))).toBe('authentication_required');
  });

  it('self-merge is off unless the nearest setting allows it', () => {
    const p = permissions(user(), [], [setting('/import', null, true), setting('/import/x', null, false)]);
    expect(p.selfMergeAllowed('/projects/a')).toBe(false);
    expect(p.selfMergeAllowed('/import/a')).toBe(true);
    expect(p.selfMergeAllowed('/import/x/y')).toBe(false);
  });

  it('a path limit hides everything outside its path and caps the role inside', () => {
    const limited = (role: 'read' | 'write', granted: boolean, isAdmin = false): Principal => ({
      ...(user(['read', 'write'], isAdmin) as Extract<Principal, { kind: 'user' }>),
      limit: { path: '/projects/app', role, granted },
    });
    const grants = [{ path: '/', role: 'maintain' as const }];
    const deployRead = permissions(limited('read', true), [{ path: '/projects/app', role: 'read' }]);
    expect(deployRead.canRead('/projects/app')).toBe(true);
    expect(deployRead.canRead('/projects/app/sub')).toBe(true);
    // Public paths elsewhere are invisible to a bound credential.
    expect(deployRead.canRead('/projects/other')).toBe(false);
    expect(deployRead.has('/projects/app', 'write')).toBe(false);
    const token = permissions(limited('write', false), grants);
    expect(token.roleAt('/projects/app')).toBe('write');
    expect(token.roleAt('/import/x')).toBeUndefined();
    const admin = permissions(limited('read', false, true), [], [setting('/projects', 'private')]);
    expect(admin.isAdmin).toBe(false);
    expect(admin.roleAt('/projects/app')).toBe('read');
    expect(admin.canRead('/projects/elsewhere')).toBe(false);
  });
});
