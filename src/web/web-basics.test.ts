import { describe, expect, it } from 'vitest';
import { tokenFromAuthorization } from './auth.js';
import { RepoRouter, normalizeRepoPath, MAX_REPO_PATH_LENGTH } from './repo-router.js';
import { codeOf } from '../../tests/support/mega-errors.js';

describe('repository paths', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['.git', '/'],
    ['/projects/foo.git', '/projects/foo'],
    ['/projects/foo', '/projects/foo'],
    ['/a%20b/c', '/a b/c'],
  ])('normalises %j to %j', (raw, path) => {
    expect(normalizeRepoPath(raw)).toBe(path);
  });

  it.each([
    '/a/../b',
    '/a/./b',
    '/%2e%2e/x',
    '/a%2fb',
    '/a%00b',
    '/a\\b',
    '/a%5cb',
    `/${'x'.repeat(MAX_REPO_PATH_LENGTH)}`,
    '/%zz',
  ])('refuses %j', async (raw) => {
    expect(await codeOf(() => normalizeRepoPath(raw))).toMatch(
      /^(repo_path_invalid|repo_path_too_long|path_encoding_invalid)$/,
    );
  });

  it('splits repository paths off the suffixes routes register', () => {
    const router = new RepoRouter();
    const handler = async () => undefined;
    router.add({ method: 'GET', suffix: '/info/refs', handler });
    router.add({ method: 'POST', suffix: '/info/lfs/objects/batch', handler });
    router.add({ method: 'POST', suffix: '/info/lfs/locks/(?<id>[^/]+)/unlock', handler });
    expect(router.match('GET', '/info/refs')?.match.repoPath).toBe('/');
    expect(router.match('GET', '/import/x.git/info/refs')?.match.repoPath).toBe('/import/x');
    expect(router.match('POST', '/p/q/info/lfs/objects/batch')?.match.repoPath).toBe('/p/q');
    expect(router.match('POST', '/r.git/info/lfs/locks/12%2F3/unlock')?.match.params).toEqual({ id: '12/3' });
    expect(router.match('POST', '/import/x.git/info/refs')).toBeUndefined();
    expect(router.match('GET', '/import/x.git/other')).toBeUndefined();
  });
});

describe('credentials', () => {
  const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

  it('takes the token from Bearer or from the Basic password', () => {
    expect(tokenFromAuthorization(undefined)).toBeUndefined();
    expect(tokenFromAuthorization('Bearer mega_abc')).toBe('mega_abc');
    expect(tokenFromAuthorization(basic('alice:mega_abc'))).toBe('mega_abc');
    expect(tokenFromAuthorization(basic('x:pa:ss'))).toBe('pa:ss');
    // git first sends only a user name; that is no credential.
    expect(tokenFromAuthorization(basic('alice'))).toBeUndefined();
    expect(tokenFromAuthorization(basic('alice:'))).toBeUndefined();
  });

  it.each(['Bearer', 'Bearer ', 'Digest abc', 'garbage'])('refuses %j', async (header) => {
    expect(await codeOf(() => tokenFromAuthorization(header))).toMatch(/^authorization_/);
  });
});
