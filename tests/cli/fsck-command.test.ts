import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/storage/storage.js';
import { hostileCase, rawCommit, rawObject, rawTree, type RawObject } from '../support/hostile-objects.js';
import { runMega } from '../support/mega-process.js';
import { makeTempDir } from '../support/temp-dir.js';

/** `mega fsck` over repositories whose objects were written around the push checks. */
describe('mega fsck', () => {
  let temp: { path: string; remove: () => Promise<void> };
  let dataDir: string;
  const blob = rawObject('blob', 'file\n');
  const modules = rawObject('blob', '[submodule "x"]\n\tpath = x\n\turl = --upload-pack=evil\n');
  const missing = rawObject('blob', 'never stored\n');
  const notADirectory = rawObject('blob', 'not a directory\n');
  const badTree = rawTree([
    ['100644', '.git', blob.id],
    ['100644', '.gitmodules', modules.id],
    ['40000', 'dir', notADirectory.id],
    ['100644', 'gone', missing.id],
  ]);
  const goodTree = rawTree([['100644', 'a.txt', blob.id]]);
  const legacy = hostileCase('missing-email');

  beforeAll(async () => {
    temp = await makeTempDir('mega-fsck-cli-');
    dataDir = join(temp.path, 'data');
    const storage = await openStorage({
      databaseUrl: `sqlite:${join(dataDir, 'mega.db')}`,
      dataDir,
      largeObjectThreshold: 1 << 20,
    });
    const store = async (path: string, objects: readonly RawObject[]) => {
      const repo = await storage.repositories.create({ path, kind: 'import' });
      // writeObjects stores server-made objects without fsck: the way old data looks.
      await storage.writeObjects(repo.id, objects);
    };
    await store('/import/good', [blob, goodTree, rawCommit(goodTree.id)]);
    await store('/import/bad', [blob, modules, notADirectory, badTree, rawCommit(badTree.id)]);
    await store('/import/legacy', legacy.objects);
    await storage.close();
  });
  afterAll(async () => {
    await temp.remove();
  });

  it('lists every problem of every repository and exits 1', async () => {
    const result = await runMega(['fsck', '--data', dataDir]);
    expect(result.code).toBe(1);
    const out = result.stdout;
    expect(out).toContain(`/import/bad: error: object ${badTree.id}: hasDotgit: contains '.git'`);
    expect(out).toContain(
      `/import/bad: error: object ${badTree.id}: ${notADirectory.id} is a blob, not a tree`,
    );
    expect(out).toContain(`/import/bad: error: object ${missing.id}: missing blob`);
    expect(out).toMatch(
      new RegExp(`/import/bad: error: object ${modules.id}: gitmodulesUrl: disallowed submodule url`),
    );
    expect(out).toContain(`/import/legacy: error: object ${legacy.culprit}: missingEmail:`);
    expect(out).toMatch(/\/import\/good: 3 objects, 0 errors, 0 warnings/);
    expect(out).toMatch(/\/import\/bad: 5 objects, 4 errors/);
    expect(result.stderr).toContain('mega fsck: 5 errors');
  });

  it('checks only the paths given, and exits 0 when they are clean', async () => {
    const result = await runMega(['fsck', '/import/good', '--data', dataDir]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('/import/bad');
  });

  it('relaxes the ids the configuration ignores, as pushes do', async () => {
    const result = await runMega(['fsck', '/import/legacy', '--data', dataDir], {
      env: { MEGA_FSCK_IGNORE: 'missingEmail' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\/import\/legacy: \d+ objects, 0 errors/);
  });

  it('prints JSON lines', async () => {
    const result = await runMega(['fsck', '/import/bad', '--data', dataDir, '--json']);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({ repository: '/import/bad', id: 'hasDotgit', severity: 'error' }),
    );
    expect(lines.at(-1)).toMatchObject({ repository: '/import/bad', objects: 5, errors: 4 });
  });

  it('says so when a path holds no repository', async () => {
    const result = await runMega(['fsck', '/import/nothing', '--data', dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no repository at or below /import/nothing');
  });
});
