import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeRepo } from '../../../tests/support/git-fixtures.js';
import { makeTempDir } from '../../../tests/support/temp-dir.js';
import { buildFixture } from '../../cli/testing/fixture-server.js';
import { loadGitRepository } from '../../repo/browse/testing/git-object-source.js';
import {
  MAX_OFFSET,
  keysetCursor,
  keysetPage,
  keysetPaging,
  offsetCursor,
  offsetPage,
  offsetPaging,
} from './pagination.js';

/** The one pagination style: `cursor` + `limit`, `{items, nextCursor, prevCursor, total}`, `Link`. */

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('cursors', () => {
  const offsets = z.object(offsetPaging());
  const keysets = z.object(keysetPaging({ defaultLimit: 50, maxLimit: 200 }));

  it('round-trip offsets and ids, and default to the first page', () => {
    expect(offsets.parse({})).toEqual({ cursor: 0, limit: 30 });
    expect(offsets.parse({ cursor: offsetCursor(60), limit: '30' })).toEqual({ cursor: 60, limit: 30 });
    expect(offsets.parse({ cursor: offsetCursor(MAX_OFFSET) }).cursor).toBe(MAX_OFFSET);
    expect(keysets.parse({})).toEqual({ cursor: undefined, limit: 50 });
    expect(keysets.parse({ cursor: keysetCursor(1234), limit: '200' })).toEqual({ cursor: 1234, limit: 200 });
  });

  it.each([
    ['not base64url', '%%%'],
    ['empty', ''],
    ['oversized', 'A'.repeat(65)],
    ['a keyset cursor on an offset list', keysetCursor(5)],
    ['past the deepest offset', offsetCursor(MAX_OFFSET + 1)],
    ['a negative offset', b64('o-1')],
    ['leading zeros', b64('o007')],
    ['a fraction', b64('o1.5')],
    ['trailing text', b64('o1 and more')],
    ['a non-canonical encoding', `${offsetCursor(30)}A`],
    ['JSON', b64('{"offset":30}')],
    ['an array (the parameter given twice)', [offsetCursor(1), offsetCursor(2)]],
  ])('refuses %s on an offset list', (_what, cursor) => {
    expect(offsets.safeParse({ cursor }).success).toBe(false);
  });

  it.each([
    ['an offset cursor', offsetCursor(5)],
    ['id 0', b64('k0')],
    ['an id past 2^53', b64('k9999999999999999')],
  ])('refuses %s on a keyset list', (_what, cursor) => {
    expect(keysets.safeParse({ cursor }).success).toBe(false);
  });

  it('refuses limits out of range, fractional or not numbers', () => {
    for (const limit of ['0', '101', '1.5', '-1', 'ten', '1e9']) {
      expect(offsets.safeParse({ limit }).success, limit).toBe(false);
    }
    expect(keysets.safeParse({ limit: '201' }).success).toBe(false);
  });
});

describe('pages', () => {
  it('offset pages: next while more exist, prev past the first, total when known', () => {
    const rows = [1, 2, 3, 4];
    expect(offsetPage(rows, { offset: 0, limit: 3 })).toEqual({
      items: [1, 2, 3],
      nextCursor: offsetCursor(3),
    });
    expect(offsetPage([4], { offset: 3, limit: 3 })).toEqual({ items: [4], prevCursor: offsetCursor(0) });
    expect(offsetPage([5, 6], { offset: 4, limit: 2 }, { total: 10 })).toEqual({
      items: [5, 6],
      nextCursor: offsetCursor(6),
      prevCursor: offsetCursor(2),
      total: 10,
    });
    expect(offsetPage([1], { offset: 1, limit: 5 }, { hasMore: false })).toEqual({
      items: [1],
      prevCursor: offsetCursor(0),
    });
  });

  it('keyset pages resume below the last id given', () => {
    const rows = [{ id: 9 }, { id: 7 }, { id: 4 }];
    expect(keysetPage(rows, 2)).toEqual({ items: [{ id: 9 }, { id: 7 }], nextCursor: keysetCursor(7) });
    expect(keysetPage(rows, 3)).toEqual({ items: rows });
  });
});

describe('over HTTP', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let app: FastifyInstance;
  let admin: string;

  beforeAll(async () => {
    temp = await makeTempDir();
    const foo = join(temp.path, 'foo');
    await makeRepo(
      foo,
      Array.from({ length: 5 }, (_, index) => ({ 'a.txt': `${index}\n` })),
    );
    const fixture = await buildFixture(
      { '/projects/foo': await loadGitRepository(foo) },
      join(temp.path, 'data'),
    );
    app = fixture.app;
    const root = await fixture.storage.users.createUser({ username: 'root', isAdmin: true });
    admin = (await fixture.storage.users.createToken(root.id, 't', { scopes: ['read', 'write', 'admin'] }))
      .token;
  });

  afterAll(async () => {
    await app.close();
    await temp.remove();
  });

  const get = (url: string) =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${admin}` } });

  /** The `Link` header as rel → URL. */
  function links(header: unknown): Record<string, string> {
    return Object.fromEntries(
      String(header ?? '')
        .split(', ')
        .filter(Boolean)
        .map((part) => {
          const match = /^<([^>]*)>; rel="(\w+)"$/.exec(part);
          expect(match, part).not.toBeNull();
          return [match![2]!, match![1]!];
        }),
    );
  }

  it('walks a history forward by the Link header and back by prev, keeping the other parameters', async () => {
    const first = await get('/api/v1/repos/commits?repo=/projects/foo&limit=2');
    expect(first.statusCode).toBe(200);
    const firstLinks = links(first.headers.link);
    expect(Object.keys(firstLinks).sort()).toEqual(['first', 'next']);
    expect(firstLinks.first).toBe('/api/v1/repos/commits?repo=%2Fprojects%2Ffoo&limit=2');
    const seen: string[] = first.json().items.map((commit: { title: string }) => commit.title);
    let next: string | undefined = firstLinks.next;
    let last = first;
    while (next) {
      expect(next).toContain('limit=2');
      last = await get(next);
      expect(last.statusCode).toBe(200);
      seen.push(...last.json().items.map((commit: { title: string }) => commit.title));
      next = links(last.headers.link).next;
    }
    expect(seen).toEqual(['commit 5', 'commit 4', 'commit 3', 'commit 2', 'commit 1']);
    expect(last.json().nextCursor).toBeUndefined();
    const back = await get(links(last.headers.link).prev!);
    expect(back.json().items.map((commit: { title: string }) => commit.title)).toEqual([
      'commit 3',
      'commit 2',
    ]);
  });

  it('answers the wrapper on an empty list, with only the first link', async () => {
    const response = await get('/api/v1/merge-requests');
    expect(response.json()).toEqual({ items: [] });
    expect(links(response.headers.link)).toEqual({ first: '/api/v1/merge-requests' });
  });

  it.each([
    '/api/v1/repos/commits?repo=/projects/foo',
    '/api/v1/repos/branches?repo=/projects/foo',
    '/api/v1/repos/tags?repo=/projects/foo',
    '/api/v1/merge-requests',
    '/api/v1/merge-requests/1/timeline',
    '/api/v1/webhooks/1/deliveries',
    '/api/v1/sync/tenants/1/repositories',
    '/api/v1/sync/tenants/1/logs',
  ])('%s: malformed or oversized cursors and limits are 400 query_invalid', async (url) => {
    const bad = [
      'cursor=!!',
      `cursor=${'A'.repeat(200)}`,
      `cursor=${b64('o-5')}`,
      `cursor=${b64('x1')}`,
      'cursor=a&cursor=b',
      'limit=0',
      'limit=100000',
      'limit=abc',
    ];
    for (const query of bad) {
      const response = await get(`${url}${url.includes('?') ? '&' : '?'}${query}`);
      expect([query, response.statusCode, response.json().code]).toEqual([query, 400, 'query_invalid']);
      expect(response.json().issues.join()).toMatch(/^(cursor|limit)/);
    }
  });
});
