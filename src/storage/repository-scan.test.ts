import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import { RepositoryScan } from './repository-scan.js';
import type { Storage } from './storage.js';
import { describeEachDialect } from '../../tests/support/dialects.js';
import { scratchStorage } from '../../tests/support/scratch-database.js';
import {
  chunked,
  dumpObjects,
  makeRepository,
  packOf,
  type GitObjectDump,
} from '../../tests/support/git-fixtures.js';

let work: { path: string; remove: () => Promise<void> };
let fullPack: Buffer;
let firstPack: Buffer;
let objects: Map<string, GitObjectDump>;

beforeAll(async () => {
  work = await makeTempDir('mega-scan-');
  const repoDir = join(work.path, 'source');
  await makeRepository(repoDir, { commits: 6, largeFileBytes: 200 * 1024 });
  fullPack = await packOf(repoDir, ['--all']);
  firstPack = await packOf(repoDir, ['HEAD~5']);
  objects = await dumpObjects(repoDir);
});
afterAll(async () => {
  await work.remove();
});

const idsOf = (type: string) =>
  [...objects]
    .filter(([, object]) => object.type === type)
    .map(([id]) => id)
    .sort();

describeEachDialect('repository scan', (getDb) => {
  let storage: Storage;
  let scan: RepositoryScan;
  let full: number;
  let partial: number;
  beforeAll(async () => {
    storage = scratchStorage(getDb(), 64 * 1024);
    scan = new RepositoryScan(getDb().database.db, getDb().database.capabilities);
    full = (await storage.repositories.create({ path: '/import/scan-full', kind: 'import' })).id;
    partial = (await storage.repositories.create({ path: '/import/scan-partial', kind: 'import' })).id;
    await storage.ingestPack(full, chunked(fullPack));
    await storage.ingestPack(partial, chunked(firstPack));
  });

  it('reads every commit of a repository with its tree and parents', async () => {
    const commits = await scan.commits(full);
    expect([...commits.keys()].sort()).toEqual(idsOf('commit'));
    const stored = await storage.objects.readCommits(full, idsOf('commit'));
    for (const [id, commit] of stored) expect(commits.get(id)).toEqual(commit);
  });

  it('reads every tree in its stored form and resolves stored deltas in memory', async () => {
    const trees = await scan.trees(full);
    expect(trees.count).toBe(idsOf('tree').length);
    for (const id of idsOf('tree')) {
      expect(trees.content(id)).toEqual(objects.get(id)?.data);
      const entry = trees.packReady(id);
      expect(entry?.type).toBe('tree');
      expect(entry?.deflated).toBeInstanceOf(Buffer);
    }
    expect(trees.content(idsOf('blob')[0] as string)).toBeUndefined();
  });

  it('sees only the repository’s own objects', async () => {
    const own = await scan.trees(partial);
    const commits = await scan.commits(partial);
    expect(commits.size).toBe(1);
    const others = idsOf('tree').filter((id) => !own.has(id));
    expect(others.length).toBeGreaterThan(0);
    for (const id of others) {
      expect(own.content(id)).toBeUndefined();
      expect(own.packReady(id)).toBeUndefined();
    }
  });

  it('restricts the trees to the given ids, ignoring malformed and unknown ones', async () => {
    const wanted = idsOf('tree').slice(0, 2);
    const trees = await scan.trees(full, [...wanted, idsOf('blob')[0] as string, 'f'.repeat(40)]);
    expect(trees.count).toBe(2);
    for (const id of wanted) expect(trees.content(id)).toEqual(objects.get(id)?.data);
    expect((await scan.trees(full, [])).count).toBe(0);
  });
});
