import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { buildFixture } from '../../cli/testing/fixture-server.js';
import type { Storage } from '../../storage/storage.js';

let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let storage: Storage;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  temp = await makeTempDir();
  const fixture = await buildFixture({}, temp.path);
  app = fixture.app;
  storage = fixture.storage;
  for (const name of ['root', 'bob', 'carol']) {
    const user = await storage.users.createUser({ username: name, isAdmin: name === 'root' });
    const scopes = name === 'root' ? ['read', 'write', 'admin'] : ['read', 'write', 'admin'];
    tokens[name] = (await storage.users.createToken(user.id, 'test', { scopes })).token;
  }
  // bob administers /projects/team-a.
  const bob = await storage.users.findUser('bob');
  await storage.access.setGrant('/projects/team-a', 'user', bob!.id, 'admin');
  await storage.access.createGroup('devs');
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

const call = (as: string | undefined, method: 'GET' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  app.inject({
    method,
    url,
    headers: as ? { authorization: `Bearer ${tokens[as]}` } : {},
    ...(payload ? { payload } : {}),
  });

describe('grants API', () => {
  it('lets an admin of the path grant, list and revoke; the listing shows only administered paths', async () => {
    const put = await call('bob', 'PUT', '/api/v1/access/grants', {
      path: 'projects/team-a/app.git/',
      user: 'carol',
      role: 'write',
    });
    expect({ status: put.statusCode, body: put.json() }).toEqual({
      status: 200,
      body: { path: '/projects/team-a/app', user: 'carol', role: 'write' },
    });
    await call('root', 'PUT', '/api/v1/access/grants', { path: '/import', group: 'devs', role: 'read' });
    const bobs = await call('bob', 'GET', '/api/v1/access/grants');
    expect(
      bobs
        .json()
        .items.map((g: { path: string; user?: string; group?: string; role: string }) => [
          g.path,
          g.user ?? `@${g.group}`,
          g.role,
        ]),
    ).toEqual([
      ['/projects/team-a', 'bob', 'admin'],
      ['/projects/team-a/app', 'carol', 'write'],
    ]);
    const roots = await call('root', 'GET', '/api/v1/access/grants?path=/import');
    expect(roots.json().items).toMatchObject([{ path: '/import', group: 'devs', role: 'read' }]);
    expect((await call('carol', 'GET', '/api/v1/access/grants')).json().items).toEqual([]);
    const removed = await call('bob', 'DELETE', '/api/v1/access/grants', {
      path: '/projects/team-a/app',
      user: 'carol',
    });
    expect(removed.statusCode).toBe(204);
    const again = await call('bob', 'DELETE', '/api/v1/access/grants', {
      path: '/projects/team-a/app',
      user: 'carol',
    });
    expect({ status: again.statusCode, code: again.json().code }).toEqual({
      status: 404,
      code: 'grant_not_found',
    });
  });

  it('refuses callers without admin on the path, and bad inputs, with exact codes', async () => {
    const cases: Array<
      [string | undefined, 'PUT' | 'DELETE' | 'GET', string, object | undefined, number, string]
    > = [
      [
        undefined,
        'PUT',
        '/api/v1/access/grants',
        { path: '/projects', user: 'carol', role: 'read' },
        401,
        'authentication_required',
      ],
      [
        'bob',
        'PUT',
        '/api/v1/access/grants',
        { path: '/projects', user: 'carol', role: 'read' },
        403,
        'access_denied',
      ],
      [
        'carol',
        'PUT',
        '/api/v1/access/grants',
        { path: '/projects/team-a', user: 'carol', role: 'admin' },
        403,
        'access_denied',
      ],
      [
        'bob',
        'PUT',
        '/api/v1/access/grants',
        { path: '/projects/team-a', user: 'nobody', role: 'read' },
        404,
        'user_not_found',
      ],
      [
        'bob',
        'PUT',
        '/api/v1/access/grants',
        { path: '/projects/team-a', group: 'nogroup', role: 'read' },
        404,
        'group_not_found',
      ],
      [
        'bob',
        'PUT',
        '/api/v1/access/grants',
        { path: '/projects/team-a', user: 'carol', role: 'owner' },
        400,
        'role_invalid',
      ],
      [
        'bob',
        'PUT',
        '/api/v1/access/grants',
        { path: '/projects/team-a', role: 'read' },
        400,
        'subject_invalid',
      ],
      [
        'bob',
        'PUT',
        '/api/v1/access/grants',
        { path: '/projects/team-a', user: 'carol', group: 'devs', role: 'read' },
        400,
        'subject_invalid',
      ],
      [
        'root',
        'PUT',
        '/api/v1/access/grants',
        { path: '/projects/../etc', user: 'carol', role: 'read' },
        400,
        'access_path_invalid',
      ],
      [
        'root',
        'PUT',
        '/api/v1/access/grants',
        { path: '/projects/x.git/y', user: 'carol', role: 'read' },
        400,
        'access_path_invalid',
      ],
      [
        'root',
        'PUT',
        '/api/v1/access/paths',
        { path: '/projects', visibility: 'secret' },
        400,
        'visibility_invalid',
      ],
      ['bob', 'GET', '/api/v1/access/paths?path=/projects', undefined, 403, 'access_denied'],
      [
        'root',
        'PUT',
        '/api/v1/access/protected-branches',
        { repo: '/projects/team-a/app', pattern: 'a..b' },
        400,
        'branch_pattern_invalid',
      ],
      [
        'root',
        'PUT',
        '/api/v1/access/protected-branches',
        { repo: '/', pattern: 'main' },
        400,
        'access_path_invalid',
      ],
    ];
    for (const [as, method, url, payload, status, code] of cases) {
      const response = await call(as, method, url, payload);
      expect({ as, url, payload, status: response.statusCode, code: response.json().code }).toEqual({
        as,
        url,
        payload,
        status,
        code,
      });
    }
  });
});

describe('path settings API', () => {
  it('sets visibility and self-merge, shows own and effective values, and clears with null', async () => {
    const set = await call('bob', 'PUT', '/api/v1/access/paths', {
      path: '/projects/team-a',
      visibility: 'private',
      selfMerge: true,
    });
    expect(set.json()).toEqual({
      path: '/projects/team-a',
      visibility: 'private',
      selfMerge: true,
      effective: { visibility: 'private', selfMerge: true },
    });
    const child = await call('bob', 'GET', '/api/v1/access/paths?path=/projects/team-a/app');
    expect(child.json()).toEqual({
      path: '/projects/team-a/app',
      visibility: null,
      selfMerge: null,
      effective: { visibility: 'private', selfMerge: true },
    });
    const cleared = await call('bob', 'PUT', '/api/v1/access/paths', {
      path: '/projects/team-a',
      visibility: null,
    });
    expect(cleared.json()).toMatchObject({
      visibility: null,
      selfMerge: true,
      effective: { visibility: 'public' },
    });
  });
});

describe('protected branches API', () => {
  it('adds, lists and removes patterns', async () => {
    const repo = '/projects/team-a/app';
    const put = await call('bob', 'PUT', '/api/v1/access/protected-branches', { repo, pattern: 'release/*' });
    expect(put.json()).toEqual({ repo, items: ['release/*'] });
    await call('bob', 'PUT', '/api/v1/access/protected-branches', { repo, pattern: 'main' });
    const list = await call('bob', 'GET', `/api/v1/access/protected-branches?repo=${repo}`);
    expect(list.json()).toEqual({ repo, items: ['main', 'release/*'] });
    expect(
      (await call('bob', 'DELETE', '/api/v1/access/protected-branches', { repo, pattern: 'main' }))
        .statusCode,
    ).toBe(204);
    const gone = await call('bob', 'DELETE', '/api/v1/access/protected-branches', { repo, pattern: 'main' });
    expect({ status: gone.statusCode, code: gone.json().code }).toEqual({
      status: 404,
      code: 'protected_branch_not_found',
    });
    const carol = await call('carol', 'GET', `/api/v1/access/protected-branches?repo=${repo}`);
    expect(carol.statusCode).toBe(403);
  });
});
