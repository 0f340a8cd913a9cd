import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../../tests/support/git-cli.js';
import { makeRepo, revParse } from '../../tests/support/git-fixtures.js';
import { makeTempDir } from '../../tests/support/temp-dir.js';
import type { ObjectId } from '../git/object-id.js';
import { isMegaError } from '../platform/errors.js';
import { ObjectReader } from '../repo/browse/object-reader.js';
import { loadGitRepository } from '../repo/browse/testing/git-object-source.js';
import { completeObjectSource } from '../repo/single-read-objects.js';
import type { ObjectSource } from '../repo/served-repository.js';
import type { MergeRequestRecord } from '../storage/monorepo/merge-request-store.js';
import { anchorPosition, FileLines, isOutdated, type PositionInput } from './comment-anchor.js';

/** A merge request changing `/projects/r` from `base` to `head` (only what anchoring reads). */
const requestOf = (base: ObjectId, head: ObjectId, repoPath = '/projects/r') =>
  ({
    number: 7,
    changes: [{ repoPath, baseCommit: base, headCommit: head }],
  }) as unknown as MergeRequestRecord;

describe('line comment anchors and outdated flags', () => {
  let temp: Awaited<ReturnType<typeof makeTempDir>>;
  let files: () => FileLines;
  let source: ObjectSource;
  let base: ObjectId;
  let head: ObjectId;
  let update: ObjectId;

  beforeAll(async () => {
    temp = await makeTempDir('mega-anchor-');
    const dir = join(temp.path, 'r');
    await makeRepo(dir, [
      {
        'a.txt': 'one\ntwo\nthree\n',
        'same.txt': 'same\n',
        'bin.dat': Buffer.from([1, 0, 2, 3]),
        'gone.txt': 'g\n',
      },
      { 'a.txt': 'one\nTWO\nthree\nfour\n', 'new.txt': 'n1\nn2\n', 'bin.dat': Buffer.from([1, 0, 9]) },
    ]);
    await git(['rm', '-q', 'gone.txt'], { cwd: dir });
    await git(['commit', '-q', '-m', 'remove gone'], { cwd: dir });
    base = (await revParse(dir, 'HEAD~2')) as ObjectId;
    head = (await revParse(dir, 'HEAD')) as ObjectId;
    // The update: line 4 of a.txt changes, new.txt is dropped, line 2 stays.
    await writeFile(join(dir, 'a.txt'), 'one\nTWO\nthree\nFOUR\n');
    await rm(join(dir, 'new.txt'));
    await git(['commit', '-q', '-am', 'update'], { cwd: dir });
    update = (await revParse(dir, 'HEAD')) as ObjectId;
    const repository = await loadGitRepository(dir);
    source = repository.objects;
    files = () => new FileLines(new ObjectReader(source));
  });
  afterAll(async () => {
    await temp?.remove();
  });

  const anchor = (input: Partial<PositionInput>) =>
    anchorPosition(files(), requestOf(base, head), {
      repoPath: '/projects/r',
      path: 'a.txt',
      side: 'new',
      line: 1,
      ...input,
    });
  const refusal = async (input: Partial<PositionInput>) => {
    try {
      await anchor(input);
      return 'accepted';
    } catch (error) {
      return isMegaError(error) ? error.code : String(error);
    }
  };

  it('anchors a new-side line to the head and an old-side line to the base', async () => {
    expect(await anchor({ line: 4 })).toEqual({
      repoPath: '/projects/r',
      path: 'a.txt',
      side: 'new',
      line: 4,
      commitId: head,
    });
    expect(await anchor({ side: 'old', line: 3, repoPath: 'projects/r/' })).toMatchObject({
      repoPath: '/projects/r',
      commitId: base,
    });
    expect(await anchor({ side: 'old', path: 'gone.txt' })).toMatchObject({ path: 'gone.txt' });
    expect(await anchor({ path: '/new.txt', line: 2 })).toMatchObject({ path: 'new.txt' });
  });

  it('refuses positions outside the diff', async () => {
    for (const input of [
      { line: 0 },
      { line: 5 },
      { line: -1 },
      { line: 1.5 },
      { side: 'old' as const, line: 4 },
      { path: 'same.txt' },
      { path: 'missing.txt' },
      { repoPath: '/projects/other' },
      { path: 'new.txt', side: 'old' as const },
      { path: 'gone.txt', side: 'new' as const },
      { path: 'bin.dat' },
      { path: '../a.txt' },
      { path: 'a.txt/x' },
      { path: '' },
      { path: 'a\u0000.txt' },
    ]) {
      expect(await refusal(input), JSON.stringify(input)).toBe('comment_position_invalid');
    }
  });

  it('flags a comment outdated when its line or file changed, not when the update left it alone', async () => {
    const now = requestOf(base, update);
    const shared = files();
    const at = (input: Partial<PositionInput>) => anchor(input);
    expect(await isOutdated(shared, requestOf(base, head), await at({ line: 4 }))).toBe(false);
    expect(await isOutdated(shared, now, await at({ line: 2 }))).toBe(false);
    expect(await isOutdated(shared, now, await at({ line: 4 }))).toBe(true);
    expect(await isOutdated(shared, now, await at({ path: 'new.txt', line: 1 }))).toBe(true);
    expect(await isOutdated(shared, now, await at({ side: 'old', line: 2 }))).toBe(false);
    expect(await isOutdated(shared, requestOf(base, update, '/projects/moved'), await at({ line: 2 }))).toBe(
      true,
    );
    // A position whose commit is unknown (objects gone) is outdated rather than an error.
    const lost = { ...(await at({ line: 2 })), commitId: 'f'.repeat(40) as ObjectId };
    expect(await isOutdated(shared, now, lost)).toBe(true);
    // The base moved (the request was proposed again from a newer base): old lines are compared.
    expect(await isOutdated(shared, requestOf(head, update), await at({ side: 'old', line: 1 }))).toBe(false);
    expect(await isOutdated(shared, requestOf(head, update), await at({ side: 'old', line: 2 }))).toBe(true);
  });

  it('reads each (commit, file) once for a page of many comments, whatever their number', async () => {
    let reads = 0;
    const counting = completeObjectSource({
      hasObjects: (ids) => source.hasObjects(ids),
      readObject: (id) => {
        reads++;
        return source.readObject(id);
      },
      readCommit: async () => undefined,
    });
    const shared = new FileLines(new ObjectReader(counting));
    const positions = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        anchor(i % 2 === 0 ? { line: 1 + (i % 4) } : { path: 'new.txt', line: 1 + (i % 2) }),
      ),
    );
    const now = requestOf(base, update);
    for (const position of positions) await isOutdated(shared, now, position);
    // Three commits, their root trees, a.txt at two revisions, new.txt once: a handful, not 200.
    expect(reads).toBeLessThan(20);
  });
});
