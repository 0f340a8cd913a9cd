import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../tests/support/dialects.js';
import { SearchStore, type IndexedFile } from './search-store.js';
import { trigramQuery, trigramWords } from './trigram-words.js';

const file = (path: string, content: string): IndexedFile => ({
  path,
  blobId: 'b'.repeat(40),
  size: Buffer.byteLength(content),
  content,
});

describeEachDialect('search store', (getDb) => {
  const store = () => new SearchStore(getDb().database.db, getDb().database.capabilities);
  const base = { repoPath: '/import/a', headRef: 'refs/heads/main', skipped: [] };

  it('indexes files and finds candidates by their literals, case-insensitively', async () => {
    const search = store();
    expect(
      await search.apply({
        ...base,
        repoId: 101,
        commitId: 'c'.repeat(40),
        expectedCommitId: null,
        replaceAll: true,
        remove: [],
        add: [
          file('src/app.js', 'const express = require("express");\napp.listen(3000);\n'),
          file('README.md', '# Hello WORLD\n100% done_ok!\n'),
          file('src/quote.txt', 'she said "hi there"\n'),
        ],
        skipped: [{ path: 'logo.png', reason: 'binary' }],
      }),
    ).toBe(true);
    const find = async (literals: string[], pathPrefix?: string) =>
      (
        await search.candidates({
          repoIds: [101],
          literals,
          afterId: 0,
          limit: 10,
          ...(pathPrefix ? { pathPrefix } : {}),
        })
      ).map((c) => c.path);
    expect(await find(['app.listen'])).toEqual(['src/app.js']);
    expect(await find(['hello world'])).toEqual(['README.md']);
    expect(await find(['100% done_ok'])).toEqual(['README.md']);
    expect(await find(['"hi there"'])).toEqual(['src/quote.txt']);
    expect(await find(['express', 'listen'])).toEqual(['src/app.js']);
    expect(await find(['express', 'hello'])).toEqual([]);
    expect(await find(['nowhere'])).toEqual([]);
    expect(await find([], 'src/')).toEqual(['src/app.js', 'src/quote.txt']);
    expect(await find(['said'], 'src/')).toEqual(['src/quote.txt']);
    // LIKE wildcards in a prefix are literal.
    expect(await find([], 's%')).toEqual([]);
    expect(await search.candidates({ repoIds: [999], literals: ['express'], afterId: 0, limit: 10 })).toEqual(
      [],
    );
    const head = await search.head(101);
    expect(head).toMatchObject({ commitId: 'c'.repeat(40), files: 3, skipped: [{ path: 'logo.png' }] });
  });

  it('updates changed paths only, and refuses a step whose expected commit is stale', async () => {
    const search = store();
    const step = { ...base, repoId: 102, replaceAll: false };
    await search.apply({
      ...step,
      commitId: '1'.repeat(40),
      expectedCommitId: null,
      replaceAll: true,
      remove: [],
      add: [file('a.txt', 'alpha line\n'), file('b.txt', 'bravo line\n')],
    });
    expect(
      await search.apply({
        ...step,
        commitId: '2'.repeat(40),
        expectedCommitId: '1'.repeat(40),
        remove: ['b.txt'],
        add: [file('a.txt', 'alpha changed\n'), file('c.txt', 'charlie\n')],
      }),
    ).toBe(true);
    const all = await search.candidates({ repoIds: [102], literals: [], afterId: 0, limit: 10 });
    expect(all.map((c) => [c.path, c.content]).sort()).toEqual([
      ['a.txt', 'alpha changed\n'],
      ['c.txt', 'charlie\n'],
    ]);
    expect(
      (await search.candidates({ repoIds: [102], literals: ['alpha line'], afterId: 0, limit: 10 })).length,
    ).toBe(0);
    // Paging by id.
    const first = await search.candidates({ repoIds: [102], literals: [], afterId: 0, limit: 1 });
    const rest = await search.candidates({ repoIds: [102], literals: [], afterId: first[0]!.id, limit: 10 });
    expect([...first, ...rest].map((c) => c.path).sort()).toEqual(['a.txt', 'c.txt']);
    // A stale step (another indexer moved on) changes nothing.
    expect(
      await search.apply({
        ...step,
        commitId: '3'.repeat(40),
        expectedCommitId: '1'.repeat(40),
        remove: ['a.txt'],
        add: [],
      }),
    ).toBe(false);
    expect((await search.head(102))?.commitId).toBe('2'.repeat(40));
    expect((await search.head(102))?.files).toBe(2);
    await search.forget(102);
    expect(await search.head(102)).toBeUndefined();
    expect(await search.candidates({ repoIds: [102], literals: [], afterId: 0, limit: 10 })).toEqual([]);
  });

  it('keeps non-ASCII text and finds it', async () => {
    const search = store();
    await search.apply({
      ...base,
      repoId: 103,
      commitId: null,
      replaceAll: true,
      remove: [],
      add: [file('i18n.txt', 'grüße aus Köln 🚀 emoji\n')],
    });
    const found = await search.candidates({
      repoIds: [103],
      literals: ['aus köln 🚀'],
      afterId: 0,
      limit: 10,
    });
    expect(found.map((c) => c.content)).toEqual(['grüße aus Köln 🚀 emoji\n']);
  });
});

it('trigram words are hex of lower-cased character triples, never across lines', () => {
  expect([...trigramWords('AbcD')]).toEqual(['616263', '626364']);
  expect(trigramWords('ab\ncd').size).toBe(0);
  expect(trigramQuery(['abcd'])).toBe('+616263 +626364');
});
