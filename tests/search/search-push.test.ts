import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/storage.js';
import { git } from '../support/git-cli.js';
import { commitFile, makeRepo } from '../support/git-fixtures.js';
import { runMega } from '../support/mega-process.js';
import {
  openDirectoryStorage,
  plainUser,
  startDirectoryServer,
  type DirectoryServer,
} from '../monorepo/harness.js';

interface SearchBody {
  items?: Array<{ repository: string; path: string; line: number; text: string; highlight: number[] }>;
  capped?: boolean;
  code?: string;
}

/**
 * Code search end to end (issue 21): real pushes to `mega serve` are indexed by the push event,
 * a later push replaces what was found, private repositories stay invisible to others, and
 * hostile queries are refused with 400.
 */
describe('code search after pushes', () => {
  let mega: DirectoryServer;
  let storage: Storage;
  let dave: Awaited<ReturnType<typeof plainUser>>;

  const search = async (query: Record<string, string>, token?: string) => {
    const response = await fetch(
      `${mega.server.url}/api/v1/search?${new URLSearchParams(query).toString()}`,
      {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
    );
    return { status: response.status, body: (await response.json()) as SearchBody };
  };
  /** Indexing follows a push in the background: ask until the answer shows it (bounded). */
  const eventually = async (query: Record<string, string>, done: (body: SearchBody) => boolean) => {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const { body } = await search(query, mega.tokens.alice);
      if (done(body)) return body;
      await sleep(50);
    }
    throw new Error(`search ${JSON.stringify(query)} never showed the push`);
  };
  const lines = (body: SearchBody) =>
    (body.items ?? []).map((m) => `${m.repository}:${m.path}:${m.line}:${m.text}`);

  beforeAll(async () => {
    mega = await startDirectoryServer();
    storage = await openDirectoryStorage(mega.dataDir);
    dave = await plainUser(mega, 'dave');
  });
  afterAll(async () => {
    await storage?.close();
    await mega?.stop();
  });

  it('finds a pushed line, and after the next push only the new one', async () => {
    const dir = join(mega.work, 'lib');
    await makeRepo(dir, [
      {
        'src/index.js': 'export function greet() {\n  return "hello world";\n}\n',
        'logo.bin': Buffer.from([1, 2, 0, 3, 104, 101, 108, 108, 111]),
      },
    ]);
    await git(['push', '-q', `${mega.server.url}/import/lib`, 'main'], { ...mega.as.alice, cwd: dir });
    const first = await eventually({ q: 'hello world' }, (body) => (body.items ?? []).length > 0);
    expect(lines(first)).toEqual(['/import/lib:src/index.js:2:  return "hello world";']);
    expect(first.items?.[0]?.highlight).toEqual([10, 21]);

    await commitFile(dir, 'src/index.js', 'export function greet() {\n  return "goodbye moon";\n}\n', 'bye');
    await git(['push', '-q', `${mega.server.url}/import/lib`, 'main'], { ...mega.as.alice, cwd: dir });
    const second = await eventually({ q: 'goodbye moon' }, (body) => (body.items ?? []).length > 0);
    expect(lines(second)).toEqual(['/import/lib:src/index.js:2:  return "goodbye moon";']);
    expect((await search({ q: 'hello world' }, mega.tokens.alice)).body.items).toEqual([]);
    expect(lines((await search({ q: 'greet\\(\\)', regex: 'true', path: '/import/lib/src' })).body)).toEqual([
      '/import/lib:src/index.js:1:export function greet() {',
    ]);
  });

  it("hides a private repository's matches from everyone else, without counting them", async () => {
    const dir = join(mega.work, 'secret');
    await makeRepo(dir, [{ 'plans.txt': 'launch codes xyzzy-42\n' }]);
    await git(['push', '-q', `${mega.server.url}/projects/secret`, 'main'], { ...mega.as.alice, cwd: dir });
    await storage.access.setPathSetting('/projects/secret', { visibility: 'private' });
    const mine = await eventually({ q: 'xyzzy-42' }, (body) => (body.items ?? []).length > 0);
    expect(lines(mine)).toEqual(['/projects/secret:plans.txt:1:launch codes xyzzy-42']);
    for (const token of [dave.token, undefined]) {
      const { status, body } = await search({ q: 'xyzzy-42', limit: '1' }, token);
      expect(status).toBe(200);
      expect(body).toEqual({ items: [], capped: false });
      const scoped = await search({ q: 'xyzzy-42', path: '/projects/secret' }, token);
      expect(scoped.body).toEqual({ items: [], capped: false });
    }
  });

  it('answers hostile queries with 400 and a code', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ q: 'x'.repeat(5000) }, 'query_invalid'],
      [{ q: 'y'.repeat(1001) }, 'search_query_too_long'],
      [{ q: 'ab' }, 'search_query_too_short'],
      [{ q: '(a+)+$', regex: 'true' }, 'search_regex_too_broad'],
      [{ q: '(a)\\1abc', regex: 'true' }, 'search_regex_unsupported'],
      [{ q: 'abc(?=d)', regex: 'true' }, 'search_regex_unsupported'],
      [{ q: 'abc(', regex: 'true' }, 'search_regex_invalid'],
      [{ q: 'a\u0000bc' }, 'text_contains_nul'],
      [{ q: 'abc', path: '/import/../etc' }, 'search_path_invalid'],
      [{ q: 'abc', path: 'import/lib' }, 'search_path_invalid'],
      [{ q: 'abc', limit: '0' }, 'query_invalid'],
      [{ q: 'abc', regex: 'yes' }, 'query_invalid'],
    ];
    for (const [query, code] of cases) {
      const { status, body } = await search(query, mega.tokens.alice);
      expect([JSON.stringify(query).slice(0, 60), status, body.code]).toEqual([
        JSON.stringify(query).slice(0, 60),
        400,
        code,
      ]);
    }
    // A catastrophic regex inside a path runs (V8's linear fallback) and answers.
    const bounded = await search({ q: '(a+)+$', regex: 'true', path: '/import/lib' }, mega.tokens.alice);
    expect(bounded.status).toBe(200);
  });

  it('mega search reindex and status see the index current', async () => {
    const reindex = await runMega(['search', 'reindex', '--data', mega.dataDir]);
    expect(reindex.code).toBe(0);
    expect(reindex.stdout).toContain('/import/lib: up_to_date');
    const status = await runMega(['search', 'status', '--data', mega.dataDir]);
    expect(status.stdout).toContain('/import/lib: current, 1 files, 1 skipped');
    const rebuilt = await runMega(['search', 'reindex', '--rebuild', '/import/lib', '--data', mega.dataDir]);
    expect(rebuilt.stdout).toContain('/import/lib: indexed');
    expect(lines((await search({ q: 'goodbye moon' }, mega.tokens.alice)).body)).toHaveLength(1);
  });
});
