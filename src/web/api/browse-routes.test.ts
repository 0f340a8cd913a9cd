import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../../../tests/support/git-cli.js';
import { makeRepo } from '../../../tests/support/git-fixtures.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { writeBLink } from '../../monorepo/b-link.js';
import { loadGitRepository } from '../../repo/browse/testing/git-object-source.js';
import { buildFixture } from '../../cli/testing/fixture-server.js';

/**
 * The code-reading routes of `browse-routes.ts` (blame, branches, tags, tree-info,
 * compare-commits): answers, bad input, hidden repositories; and the browser redirect of
 * repository URLs (`repo-router.ts`).
 */
let temp: { path: string; remove: () => Promise<void> };
let app: FastifyInstance;
let token: string;

beforeAll(async () => {
  temp = await makeTempDir();
  const directory = join(temp.path, 'dir');
  await makeRepo(directory, [
    {
      'projects/code': writeBLink({ path: '/projects/code' }),
      'projects/secret': writeBLink({ path: '/projects/secret' }),
    },
  ]);
  const code = join(temp.path, 'code');
  await makeRepo(code, [
    { 'src/main.ts': 'one\ntwo\n', 'README.md': '# code\n' },
    { 'src/main.ts': 'one\ntwo\nthree\n', 'big.txt': 'a line of a big file\n'.repeat(60_000) },
  ]);
  await git(['branch', 'feature', 'main~1'], { cwd: code });
  await git(['tag', 'v1', 'main'], { cwd: code });
  const repo = await loadGitRepository(code);
  const fixture = await buildFixture(
    { '/': await loadGitRepository(directory), '/projects/code': repo, '/projects/secret': repo },
    join(temp.path, 'data'),
    { anonymousRead: false },
  );
  app = fixture.app;
  const storage = fixture.storage;
  const bob = await storage.users.createUser({ username: 'bob', isAdmin: false });
  token = (await storage.users.createToken(bob.id, 't', { scopes: ['read'] })).token;
  await storage.access.setPathSetting('/projects/secret', { visibility: 'private' });
});

afterAll(async () => {
  await app.close();
  await temp.remove();
});

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${token}`, ...headers },
  });
  const json = response.headers['content-type']?.toString().includes('json') ? response.json() : undefined;
  return { status: response.statusCode, body: json, code: json?.code as string | undefined, response };
}

describe('code-reading routes', () => {
  it('blames a file line by line', async () => {
    const { status, body } = await get('/api/v1/repos/blame?repo=/projects/code&path=src/main.ts');
    expect(status).toBe(200);
    expect(body.lines).toBe(3);
    expect(body.truncated).toBe(false);
    expect(body.ranges.map((range: { count: number }) => range.count)).toEqual([2, 1]);
    expect(body.commits[body.ranges[1].commit].title).toBe('commit 2');
  });

  it('lists branches with ahead/behind, tags, tree info and compare commits', async () => {
    const branches = await get('/api/v1/repos/branches?repo=/projects/code');
    expect(branches.status).toBe(200);
    expect(branches.body).toMatchObject({ total: 2, defaultBranch: 'main' });
    expect(branches.body.nextCursor).toBeUndefined();
    expect(branches.body.items[1]).toMatchObject({ name: 'feature', ahead: 0, behind: 1, exact: true });
    const filtered = await get('/api/v1/repos/branches?repo=/projects/code&q=FEAT');
    expect(filtered.body.items.map((b: { name: string }) => b.name)).toEqual(['feature']);
    const tags = await get('/api/v1/repos/tags?repo=/projects/code');
    expect(tags.body.items[0]).toMatchObject({ name: 'v1', annotated: false });
    const info = await get('/api/v1/repos/tree-info?repo=/projects/code&path=src');
    expect(info.body.entries[0]).toMatchObject({
      name: 'main.ts',
      size: 14,
      lastCommit: { title: 'commit 2' },
    });
    const compared = await get('/api/v1/repos/compare-commits?repo=/projects/code&base=feature&head=main');
    expect(compared.body.commits.map((c: { title: string }) => c.title)).toEqual(['commit 2']);
    expect(compared.body.mergeBase).toBe(branches.body.items[1].commit.id);
  });

  it.each([
    ['/api/v1/repos/blame?repo=/projects/code', 400, 'path_not_file'],
    ['/api/v1/repos/blame?repo=/projects/code&path=src', 400, 'path_not_file'],
    ['/api/v1/repos/blame?repo=/projects/code&path=nope', 404, 'path_not_found'],
    ['/api/v1/repos/blame?repo=/projects/code&path=big.txt', 413, 'object_too_large'],
    ['/api/v1/repos/blame?repo=/projects/code&path=src/main.ts&ref=nope', 404, 'revision_not_found'],
    ['/api/v1/repos/blame?repo=/projects/code&path=src/main.ts&ref=a..b', 400, 'revision_invalid'],
    [`/api/v1/repos/blame?repo=/projects/code&path=${'a/'.repeat(3000)}`, 400, 'query_invalid'],
    ['/api/v1/repos/blame?repo=/projects/code&path=../etc/passwd', 400, 'path_invalid'],
    [`/api/v1/repos/branches?repo=/projects/code&q=${'x'.repeat(201)}`, 400, 'query_invalid'],
    ['/api/v1/repos/branches?repo=/projects/code&limit=1000', 400, 'query_invalid'],
    ['/api/v1/repos/tags?repo=/projects/code&cursor=%2F%2F', 400, 'query_invalid'],
    ['/api/v1/repos/tree-info?repo=/projects/code&path=README.md', 400, 'path_not_tree'],
    ['/api/v1/repos/tree-info?repo=/projects/code&ref=nope', 404, 'revision_not_found'],
    ['/api/v1/repos/compare-commits?repo=/projects/code&base=main', 400, 'query_invalid'],
    ['/api/v1/repos/branches?repo=/projects/none', 404, 'repository_not_found'],
  ])('%#: → %d %s', async (url, status, code) => {
    const answer = await get(url);
    expect([answer.status, answer.code]).toEqual([status, code]);
  });

  it.each([
    '/api/v1/repos/blame?repo=/projects/secret&path=src/main.ts',
    '/api/v1/repos/branches?repo=/projects/secret',
    '/api/v1/repos/tags?repo=/projects/secret',
    '/api/v1/repos/tree-info?repo=/projects/secret',
    '/api/v1/repos/compare-commits?repo=/projects/secret&base=feature&head=main',
  ])('a private repository answers 404: %s', async (url) => {
    expect((await get(url)).status).toBe(404);
  });
});

describe('repository URLs in a browser', () => {
  it('redirects an HTML request for a repository URL to its UI page', async () => {
    for (const url of ['/projects/code', '/projects/code.git', '/projects/code/']) {
      const { status, response } = await get(url, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
      expect([url, status, response.headers.location]).toEqual([url, 303, '/ui/dir/projects/code']);
    }
  });

  it('leaves git and API clients as they were', async () => {
    const json = await get('/projects/code');
    expect([json.status, json.code]).toEqual([404, 'route_not_found']);
    // Smart HTTP discovery, as git sends it.
    const refs = await get('/projects/code/info/refs?service=git-upload-pack', {
      accept: '*/*',
      'user-agent': 'git/2.43.0',
    });
    expect(refs.status).toBe(200);
    expect(refs.response.headers['content-type']).toContain('git-upload-pack-advertisement');
    // Even an HTML-accepting client gets git's answer on a git route.
    const html = await get('/projects/code.git/info/refs?service=git-upload-pack', { accept: 'text/html' });
    expect(html.status).toBe(200);
    const post = await app.inject({
      method: 'POST',
      url: '/projects/code',
      headers: { accept: 'text/html' },
    });
    expect(post.statusCode).toBe(404);
    const api = await get('/api/v1/nothing', { accept: 'text/html' });
    expect(api.status).toBe(404);
  });
});
