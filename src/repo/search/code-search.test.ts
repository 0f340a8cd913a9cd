import { beforeAll, expect, it, vi } from 'vitest';
import { serializeCommit } from '../../git/commit.js';
import { zeroObjectId, type ObjectId } from '../../git/object-id.js';
import { serializeTree, sortTreeEntries, type TreeEntry } from '../../git/tree.js';
import { isMegaError } from '../../platform/errors.js';
import { ForegroundWork } from '../../platform/foreground-work.js';
import type { Storage } from '../../storage/storage.js';
import { describeEachDialect } from '../../../tests/support/dialects.js';
import { scratchStorage } from '../../../tests/support/scratch-database.js';
import { CodeSearch, type SearchQuery, type SearchReader } from './code-search.js';
import { SearchIndexer } from './search-indexer.js';

const EVERYONE: SearchReader = { canRead: () => true };

describeEachDialect('code search over the index', (getDb) => {
  let storage: Storage;
  let indexer: SearchIndexer;
  let search: CodeSearch;

  beforeAll(() => {
    storage = scratchStorage(getDb(), 1024 * 1024);
    // Steps of a few dozen bytes: every index step here is written as several transactions.
    indexer = new SearchIndexer(storage, { maxFileBytes: 4096, maxStepBytes: 40 });
    search = new CodeSearch(storage);
  });

  /** Commits `files` as the whole tree of `path`'s default branch (creating the repository). */
  async function commit(path: string, files: Record<string, string | Buffer>): Promise<ObjectId> {
    const repository =
      (await storage.repositories.find(path)) ??
      (await storage.repositories.create({ path, kind: 'import' }));
    const tree = await writeTree(repository.id, files);
    const parent = await storage.refs.get(repository.id, repository.headRef);
    const ident = 'A <a@example.com> 1700000000 +0000';
    const [id] = await storage.writeObjects(repository.id, [
      {
        type: 'commit',
        data: serializeCommit({
          tree,
          parents: parent ? [parent] : [],
          author: ident,
          committer: ident,
          extraHeaders: [],
          message: 'change\n',
        }),
      },
    ]);
    await storage.refs.updateAtomic(repository.id, [
      { name: repository.headRef, oldId: parent ?? zeroObjectId(), newId: id! },
    ]);
    return id!;
  }

  async function writeTree(repoId: number, files: Record<string, string | Buffer>): Promise<ObjectId> {
    const here = new Map<string, string | Buffer>();
    const below = new Map<string, Record<string, string | Buffer>>();
    for (const [path, content] of Object.entries(files)) {
      const [head, ...rest] = path.split('/');
      if (rest.length === 0) here.set(head!, content);
      else below.set(head!, { ...(below.get(head!) ?? {}), [rest.join('/')]: content });
    }
    const entries: TreeEntry[] = [];
    for (const [name, content] of here) {
      const [id] = await storage.writeObjects(repoId, [{ type: 'blob', data: Buffer.from(content) }]);
      entries.push({ mode: '100644', name, id: id! });
    }
    for (const [name, sub] of below) entries.push({ mode: '40000', name, id: await writeTree(repoId, sub) });
    const [id] = await storage.writeObjects(repoId, [
      { type: 'tree', data: serializeTree(sortTreeEntries(entries)) },
    ]);
    return id!;
  }

  const find = async (query: SearchQuery, reader = EVERYONE) =>
    (await search.search(query, reader)).matches.map((m) => `${m.repository}:${m.path}:${m.line}:${m.text}`);

  it('indexes a repository, then follows its branch incrementally', async () => {
    await commit('/import/app', {
      'README.md': '# App\nThe quick brown fox\n',
      'src/main.js': 'const port = 3000;\napp.listen(port);\n',
      'src/util.js': 'export function helper() {}\n',
      'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1]),
      'big.txt': 'x'.repeat(5000),
    });
    expect(await indexer.sync('/import/app')).toMatchObject({ status: 'indexed', written: 3, skipped: 2 });
    expect(await indexer.sync('/import/app')).toMatchObject({ status: 'up_to_date' });
    expect(await find({ q: 'app.LISTEN' })).toEqual(['/import/app:src/main.js:2:app.listen(port);']);
    expect(await find({ q: 'app.LISTEN', caseSensitive: true })).toEqual([]);
    expect(await find({ q: 'function \\w+\\(', regex: true })).toEqual([
      '/import/app:src/util.js:1:export function helper() {}',
    ]);

    await commit('/import/app', {
      'README.md': '# App\nThe quick red fox\n',
      'src/main.js': 'const port = 3000;\napp.listen(port);\n',
      'lib/new.js': 'brown bear\n',
    });
    expect(await indexer.sync('/import/app')).toMatchObject({ status: 'updated', written: 2, removed: 3 });
    expect(await find({ q: 'quick brown' })).toEqual([]);
    expect(await find({ q: 'quick red' })).toEqual(['/import/app:README.md:2:The quick red fox']);
    expect(await find({ q: 'helper' })).toEqual([]);
    expect(await find({ q: 'brown' })).toEqual(['/import/app:lib/new.js:1:brown bear']);
    const head = await storage.search.head((await storage.repositories.require('/import/app')).id);
    expect(head?.skipped).toEqual([]);
  });

  it('filters by path, inside and above repositories', async () => {
    await commit('/import/other', {
      'src/main.js': 'app.listen(8080);\n',
      'docs/a.md': 'app.listen in docs\n',
    });
    await indexer.sync('/import/other');
    expect((await find({ q: 'app.listen' })).length).toBe(3);
    expect(await find({ q: 'app.listen', path: '/import/other/src' })).toEqual([
      '/import/other:src/main.js:1:app.listen(8080);',
    ]);
    expect(await find({ q: 'app.listen', path: '/import/other/src/main.js' })).toHaveLength(1);
    expect(await find({ q: 'app.listen', path: '/import/other/sr' })).toEqual([]);
    expect(await find({ q: 'app.listen', path: '/import/app' })).toHaveLength(1);
    expect(await find({ q: 'app.listen', path: '/import//other/' })).toHaveLength(2);
    // Short queries and regexes without literals need a path.
    expect(await find({ q: 'ap', path: '/import/other/src' })).toEqual([
      '/import/other:src/main.js:1:app.listen(8080);',
    ]);
    expect(await find({ q: '\\d{4}', regex: true, path: '/import/other' })).toEqual([
      '/import/other:src/main.js:1:app.listen(8080);',
    ]);
  });

  it('shows only what the reader may read, without counting the rest', async () => {
    const reader: SearchReader = { canRead: (path) => !path.startsWith('/import/other') };
    expect(await find({ q: 'app.listen' }, reader)).toEqual(['/import/app:src/main.js:2:app.listen(port);']);
    const capped = await search.search({ q: 'app.listen', limit: 1 }, reader);
    expect(capped.matches).toHaveLength(1);
    const hiddenFile: SearchReader = { canRead: (path) => path !== '/import/other/docs/a.md' };
    expect(await find({ q: 'app.listen', path: '/import/other' }, hiddenFile)).toEqual([
      '/import/other:src/main.js:1:app.listen(8080);',
    ]);
  });

  it('caps results at the limit and cuts long lines around the match', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `needle ${i}`).join('\n');
    await commit('/import/many', {
      'a.txt': lines,
      'long.txt': `${'y'.repeat(1000)} needle here ${'z'.repeat(1000)}`,
    });
    await indexer.sync('/import/many');
    const result = await search.search({ q: 'needle', limit: 10, path: '/import/many' }, EVERYONE);
    expect(result).toMatchObject({ capped: true, cappedBy: 'limit' });
    expect(result.matches).toHaveLength(10);
    const long = await search.search({ q: 'needle here', path: '/import/many' }, EVERYONE);
    const match = long.matches[0]!;
    expect(match.text.length).toBe(300);
    expect(match.text.slice(match.highlight[0], match.highlight[1])).toBe('needle here');
    expect(long.capped).toBe(false);
  });

  it('refuses bad queries with 400 codes', async () => {
    const codeOf = async (query: SearchQuery) => {
      try {
        await search.search(query, EVERYONE);
      } catch (error) {
        if (isMegaError(error)) return `${error.kind}:${error.code}`;
        throw error;
      }
      return 'ok';
    };
    expect(await codeOf({ q: 'ab' })).toBe('invalid:search_query_too_short');
    expect(await codeOf({ q: '.*', regex: true })).toBe('invalid:search_regex_too_broad');
    expect(await codeOf({ q: 'abc', path: 'relative' })).toBe('invalid:search_path_invalid');
    expect(await codeOf({ q: 'abc', path: '/a/../b' })).toBe('invalid:search_path_invalid');
    expect(await codeOf({ q: 'abc', path: '/a\u0000b' })).toBe('invalid:search_path_invalid');
    expect(await codeOf({ q: 'abc', limit: 0 })).toBe('invalid:paging_invalid');
    expect(await codeOf({ q: 'abc', limit: 1000 })).toBe('invalid:paging_invalid');
  });

  it('starts over after an interrupted build of several transactions', async () => {
    const repository = await storage.repositories.require('/import/other');
    await storage.search.apply({
      repoId: repository.id,
      repoPath: repository.path,
      headRef: 'building',
      commitId: null,
      replaceAll: false,
      remove: [],
      add: [{ path: 'half.txt', blobId: 'a'.repeat(40), size: 5, content: 'stale half-built row\n' }],
      skipped: [],
    });
    expect(await indexer.sync('/import/other')).toMatchObject({ status: 'indexed', written: 2 });
    expect(await find({ q: 'half-built' })).toEqual([]);
    expect(await find({ q: 'app.listen', path: '/import/other' })).toHaveLength(2);
  });

  it('reindexes everything and drops rows of deleted repositories', async () => {
    const gone = await storage.repositories.require('/import/many');
    await storage.repositories.delete(gone.id);
    const outcomes = await indexer.syncAll({ rebuild: true });
    expect(outcomes.map((o) => [o.path, o.status]).sort()).toEqual([
      ['/import/app', 'indexed'],
      ['/import/other', 'indexed'],
    ]);
    expect(await storage.search.head(gone.id)).toBeUndefined();
    expect(await find({ q: 'needle', path: '/import' })).toEqual([]);
  });

  it('gives way to git requests between its steps, and completes the index once they end', async () => {
    await commit('/import/busy', {
      'a/one.txt': 'first busy file\n',
      'a/two.txt': 'second busy file\n',
      'b/three.txt': 'third busy file\n',
    });
    // A request in flight holds every step; the test lets them through one at a time.
    const held: Array<() => void> = [];
    let inFlight = true;
    const yieldTo = {
      pause: () => (inFlight ? new Promise<void>((resolve) => held.push(resolve)) : undefined),
    };
    const paced = new SearchIndexer(storage, { maxFileBytes: 4096, maxStepBytes: 40, yieldTo });
    const outcome = paced.sync('/import/busy');
    for (let step = 0; step < 3; step += 1) {
      await vi.waitFor(() => expect(held).toHaveLength(1));
      const state = (await paced.status()).find((entry) => entry.path === '/import/busy');
      expect(state?.current).toBe(false);
      held.shift()!();
    }
    // The requests end (before the released step goes on): the rest runs without waiting.
    inFlight = false;
    expect(await outcome).toMatchObject({ status: 'indexed', written: 3 });
    expect(held).toHaveLength(0);
    expect(await find({ q: 'busy file', path: '/import/busy' })).toHaveLength(3);
  });

  it('indexes after the git requests it waited for end', async () => {
    await commit('/import/after', { 'x.txt': 'after the clone\n', 'y/z.txt': 'after the push\n' });
    const requests = new ForegroundWork({ quietMs: 0 });
    const end = requests.begin();
    const paced = new SearchIndexer(storage, { maxStepBytes: 20, yieldTo: requests });
    const outcome = paced.sync('/import/after');
    let done = false;
    void outcome.then(() => (done = true));
    // Many event-loop turns pass: the indexer still waits for the request.
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    end();
    expect(await outcome).toMatchObject({ status: 'indexed', written: 2 });
    expect(await find({ q: 'after the', path: '/import/after' })).toHaveLength(2);
  });
});
