import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo } from '../../../tests/support/git-fixtures.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { parseObjectId } from '../../git/object-id.js';
import { writeBLink } from '../../monorepo/b-link.js';
import { loadGitRepository } from '../../repo/browse/testing/git-object-source.js';
import type { Storage } from '../../storage/storage.js';
import { buildFixture } from '../../cli/testing/fixture-server.js';
import { offsetCursor } from './pagination.js';

/**
 * What the REST API shows each caller (issue 16): directory listings leave out what the caller
 * cannot see into, hidden paths answer like missing ones, and merge requests are listed, shown and
 * acted on only by those who may read every path they touch.
 */
let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let storage: Storage;
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};
const ZERO = parseObjectId('0'.repeat(40));

beforeAll(async () => {
  temp = await makeTempDir();
  const directory = join(temp.path, 'dir');
  await makeRepo(directory, [
    {
      'README.md': '# Mega\n',
      'projects/README.md': 'projects\n',
      'projects/foo': writeBLink({ path: '/projects/foo' }),
      'projects/open': writeBLink({ path: '/projects/open' }),
      'projects/secret': writeBLink({ path: '/projects/secret' }),
      'projects/team/app': writeBLink({ path: '/projects/team/app' }),
      'import/README.md': 'imports\n',
    },
  ]);
  const code = join(temp.path, 'code');
  await makeRepo(code, [{ 'main.ts': 'export {};\n' }]);
  const repo = await loadGitRepository(code);
  // Paths that say nothing are `internal` (MEGA_ANONYMOUS_READ off).
  const fixture = await buildFixture(
    {
      '/': await loadGitRepository(directory),
      '/projects/foo': repo,
      '/projects/open': repo,
      '/projects/secret': repo,
      '/projects/team/app': repo,
    },
    join(temp.path, 'data'),
    { anonymousRead: false },
  );
  app = fixture.app;
  storage = fixture.storage;
  for (const name of ['alice', 'bob', 'carol', 'root']) {
    const user = await storage.users.createUser({ username: name, isAdmin: name === 'root' });
    ids[name] = user.id;
    tokens[name] = (
      await storage.users.createToken(user.id, 't', { scopes: ['read', 'write', 'admin'] })
    ).token;
  }
  await storage.access.setPathSetting('/projects/open', { visibility: 'public' });
  await storage.access.setPathSetting('/projects/secret', { visibility: 'private' });
  await storage.access.setPathSetting('/projects/team', { visibility: 'private' });
  await storage.access.setGrant('/projects/secret', 'user', ids.alice!, 'read');
  // Merge requests: !1 by bob on foo, !2 by alice on secret, !3 by alice on foo and secret.
  const open = (author: string, paths: readonly string[]) =>
    storage.monorepo.mergeRequests.create({
      title: `${author} ${paths.join(' ')}`,
      viewPath: paths.length === 1 ? paths[0]! : '/projects',
      refName: 'refs/heads/main',
      pushedCommit: ZERO,
      baseViewCommit: ZERO,
      author,
      authorId: ids[author]!,
      changes: paths.map((repoPath) => ({ repoPath, baseCommit: ZERO, headCommit: ZERO })),
    });
  await open('bob', ['/projects/foo']);
  await open('alice', ['/projects/secret']);
  await open('alice', ['/projects/foo', '/projects/secret']);
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

async function call(user: string | undefined, url: string, method: 'GET' | 'POST' = 'GET') {
  const response = await app.inject({
    method,
    url,
    headers: user ? { authorization: `Bearer ${tokens[user]}` } : {},
  });
  const body = response.body ? response.json() : {};
  return { status: response.statusCode, body, code: body.code as string | undefined };
}

const names = (body: { entries: Array<{ name: string }> }) => body.entries.map((entry) => entry.name);

describe('directory listings show only what the caller may see', () => {
  it.each([
    [undefined, '/', ['projects']],
    [undefined, '/projects', ['open']],
    ['bob', '/', ['import', 'projects', 'README.md']],
    ['bob', '/projects', ['foo', 'open', 'README.md']],
    ['alice', '/projects', ['foo', 'open', 'secret', 'README.md']],
    ['root', '/projects', ['foo', 'open', 'secret', 'team', 'README.md']],
  ])('%s at %s', async (user, path, expected) => {
    const response = await call(user, `/api/v1/directory?path=${path}`);
    expect(response.status).toBe(200);
    expect(names(response.body)).toEqual(expected);
  });

  it('a hidden repository or directory answers like a missing one, clone explanation included', async () => {
    for (const path of ['/projects/secret', '/projects/secret/src', '/projects/team', '/projects/team/app']) {
      const bob = await call('bob', `/api/v1/directory?path=${path}`);
      expect([path, bob.status, bob.code]).toEqual([path, 404, 'repository_not_found']);
      expect(JSON.stringify(bob.body)).not.toContain('clone');
      const anonymous = await call(undefined, `/api/v1/directory?path=${path}`);
      expect([path, anonymous.status, anonymous.code]).toEqual([path, 401, 'authentication_required']);
    }
    const alice = await call('alice', '/api/v1/directory?path=/projects/secret');
    expect(alice.status).toBe(200);
    expect(alice.body.clone.url).toMatch(/\/projects\/secret\.git$/);
    // A missing path under a hidden one looks the same as the hidden one.
    expect((await call('bob', '/api/v1/directory?path=/projects/team/nothing')).status).toBe(404);
  });

  it('code browsing of a hidden repository answers 404 (401 anonymously)', async () => {
    expect((await call('bob', '/api/v1/repos/refs?repo=/projects/secret')).status).toBe(404);
    expect((await call(undefined, '/api/v1/repos/tree?repo=/projects/secret')).status).toBe(401);
    expect((await call('alice', '/api/v1/repos/refs?repo=/projects/secret')).status).toBe(200);
    expect((await call(undefined, '/api/v1/repos/refs?repo=/projects/open')).status).toBe(200);
  });
});

describe('merge requests show only to readers of every path they touch', () => {
  const numbers = (body: { items: Array<{ number: number }> }) => body.items.map((item) => item.number);

  it('lists filter per caller, and pages count only visible requests', async () => {
    expect(numbers((await call('bob', '/api/v1/merge-requests')).body)).toEqual([1]);
    expect(numbers((await call('alice', '/api/v1/merge-requests')).body)).toEqual([3, 2, 1]);
    expect(numbers((await call(undefined, '/api/v1/merge-requests')).body)).toEqual([]);
    const second = `/api/v1/merge-requests?limit=1&cursor=${offsetCursor(1)}`;
    expect(numbers((await call('alice', second)).body)).toEqual([2]);
    expect(numbers((await call('bob', second)).body)).toEqual([]);
  });

  it('an unreadable merge request is not found, like a missing one', async () => {
    for (const number of [2, 3]) {
      for (const action of ['', '/merge', '/close', '/reopen']) {
        const response = await call(
          'bob',
          `/api/v1/merge-requests/${number}${action}`,
          action ? 'POST' : 'GET',
        );
        expect([number, action, response.status, response.code]).toEqual([
          number,
          action,
          404,
          'merge_request_not_found',
        ]);
      }
    }
    expect((await call('bob', '/api/v1/merge-requests/99')).code).toBe('merge_request_not_found');
  });

  it('merging needs maintain on every path; authors need self-merge allowed', async () => {
    const bobOwn = await call('bob', '/api/v1/merge-requests/1/merge', 'POST');
    expect([bobOwn.status, bobOwn.code, bobOwn.body.detail]).toEqual([
      403,
      'merge_forbidden',
      'merging needs the maintain role on /projects/foo',
    ]);
    await storage.access.setGrant('/projects/foo', 'user', ids.bob!, 'maintain');
    const self = await call('bob', '/api/v1/merge-requests/1/merge', 'POST');
    expect([self.status, self.code, self.body.path]).toEqual([
      403,
      'self_merge_not_allowed',
      '/projects/foo',
    ]);
    // carol maintains foo but only reads secret: !3 touches both.
    await storage.access.setGrant('/projects/foo', 'user', ids.carol!, 'maintain');
    await storage.access.setGrant('/projects/secret', 'user', ids.carol!, 'read');
    const partial = await call('carol', '/api/v1/merge-requests/3/merge', 'POST');
    expect([partial.status, partial.code, partial.body.path]).toEqual([
      403,
      'merge_forbidden',
      '/projects/secret',
    ]);
    // Nothing was claimed: the requests are still open.
    expect((await call('root', '/api/v1/merge-requests?status=open')).body.items).toHaveLength(3);
  });

  it('closing and reopening: the author, or a maintainer of every touched path', async () => {
    const refused = await call('carol', '/api/v1/merge-requests/3/close', 'POST');
    expect([refused.status, refused.code]).toEqual([403, 'access_denied']);
    const byAuthor = await call('alice', '/api/v1/merge-requests/3/close', 'POST');
    expect([byAuthor.status, byAuthor.body.status]).toEqual([200, 'closed']);
    expect((await call('alice', '/api/v1/merge-requests/3/reopen', 'POST')).body.status).toBe('open');
    const byMaintainer = await call('carol', '/api/v1/merge-requests/1/close', 'POST');
    expect([byMaintainer.status, byMaintainer.body.status]).toEqual([200, 'closed']);
    expect((await call('bob', '/api/v1/merge-requests/1/reopen', 'POST')).body.status).toBe('open');
  });
});
