import { describe, expect, it } from 'vitest';
import type { ObjectId } from '../git/object-id.js';
import { basesFirst, cloneWalkKey, fullCloneWalk } from './clone-walk.js';
import { CloneWalkRecorder } from './clone-walk-recorder.js';
import { withIncludedTags } from './object-walk.js';
import type { WalkedObject } from './served-repository.js';
import type { ServedRepository } from './served-repository.js';

const id = (c: string) => c.repeat(40) as ObjectId;
const blob = (c: string): WalkedObject => ({ id: id(c), type: 'blob' });
const order = (list: readonly WalkedObject[]) => list.map((object) => object.id[0]).join('');

describe('cloneWalkKey', () => {
  it('depends on the set of wanted ids and the filter only', () => {
    const key = cloneWalkKey([id('a'), id('b')], undefined);
    expect(cloneWalkKey([id('b'), id('a'), id('a')], undefined)).toBe(key);
    expect(cloneWalkKey([id('a')], undefined)).not.toBe(key);
    expect(cloneWalkKey([id('a'), id('b')], { kind: 'blob:none' })).not.toBe(key);
    expect(cloneWalkKey([id('a'), id('b')], { kind: 'blob:limit', limit: 10 })).not.toBe(
      cloneWalkKey([id('a'), id('b')], { kind: 'blob:limit', limit: 11 }),
    );
  });
});

describe('basesFirst', () => {
  it('moves each delta base in the list ahead of its deltas, chains included', () => {
    // c is a delta on d, d on e; a on b.
    const bases = new Map([
      [id('c'), id('d')],
      [id('d'), id('e')],
      [id('a'), id('b')],
    ]);
    expect(order(basesFirst(['a', 'b', 'c', 'd', 'e'].map(blob), bases))).toBe('baedc');
  });

  it('keeps the order when bases come first already or are not in the list', () => {
    const bases = new Map([
      [id('b'), id('a')],
      [id('c'), id('z')],
    ]);
    expect(order(basesFirst(['a', 'b', 'c'].map(blob), bases))).toBe('abc');
  });

  it('ends a cycle of bases (corrupt data) instead of looping', () => {
    const bases = new Map([
      [id('a'), id('b')],
      [id('b'), id('a')],
    ]);
    const ordered = basesFirst(['a', 'b', 'c'].map(blob), bases);
    expect(ordered).toHaveLength(3);
    expect(new Set(order(ordered))).toEqual(new Set(['a', 'b', 'c']));
  });
});

describe('fullCloneWalk of a partial clone', () => {
  const commit: WalkedObject = { id: id('c'), type: 'commit' };
  const tree: WalkedObject = { id: id('e'), type: 'tree' };
  const tag: WalkedObject = { id: id('f'), type: 'tag' };
  const taggedTree: WalkedObject = { id: id('d'), type: 'tree' };
  const record = [commit, tag, tree, taggedTree, blob('a'), blob('b')];
  const refs = [
    { name: 'refs/heads/main', target: commit.id },
    { name: 'refs/tags/t', target: tag.id, peeled: taggedTree.id },
    { name: 'refs/tags/b', target: id('b') },
  ];
  /** Holds the unfiltered record of `wants` only; walking (no record) fails with `walked`. */
  const repository = (wants: ObjectId[]) =>
    ({
      cloneWalks: {
        find: async (key: string) => (key === cloneWalkKey(wants, undefined) ? record : undefined),
        save: async () => undefined,
      },
      objects: {
        loadCloneSnapshot: async () => {
          throw new Error('walked');
        },
        readCommits: async () => new Map([[commit.id, { id: commit.id, tree: tree.id, parents: [] }]]),
        sizesAtLeast: async () => new Set([id('a')]),
      },
    }) as unknown as ServedRepository;

  it('drops the filtered types from the unfiltered record, keeping what a want peels to', async () => {
    const wants = [commit.id, tag.id, id('b')];
    const none = await fullCloneWalk(repository(wants), wants, { kind: 'blob:none' }, refs);
    expect(none.fresh).toBe(false);
    expect(order(none.objects)).toBe('cfedb');
    const treeless = await fullCloneWalk(repository(wants), wants, { kind: 'tree', depth: 0 }, refs);
    expect(order(treeless.objects)).toBe('cfdb');
    // tree:1 keeps the commit's root tree, read from the commit; blob:limit the blobs below the
    // limit, by their sizes (a is large here; record-filters.test.ts has more).
    const roots = await fullCloneWalk(repository(wants), wants, { kind: 'tree', depth: 1 }, refs);
    expect(order(roots.objects)).toBe('cfedb');
    const limited = await fullCloneWalk(repository(wants), wants, { kind: 'blob:limit', limit: 10 }, refs);
    expect(order(limited.objects)).toBe('cfedb');
  });

  it('walks when a want is no ref tip or nothing is recorded', async () => {
    const wants = [commit.id, id('9')];
    await expect(fullCloneWalk(repository(wants), wants, { kind: 'blob:none' }, refs)).rejects.toThrow(
      'walked',
    );
    const tips = [commit.id];
    await expect(fullCloneWalk(repository([]), tips, { kind: 'blob:none' }, refs)).rejects.toThrow('walked');
  });
});

describe('withIncludedTags', () => {
  it('appends each annotated tag whose target is sent, once, after the walk', () => {
    const walked = [blob('a'), blob('b')];
    const tags = [
      { tag: id('t'), peeled: id('a') },
      { tag: id('t'), peeled: id('a') },
      { tag: id('u'), peeled: id('x') },
      { tag: id('b'), peeled: id('a') },
    ];
    expect(withIncludedTags(walked, tags)).toEqual([...walked, { id: id('t'), type: 'tag' }]);
    expect(withIncludedTags(walked, [])).toBe(walked);
  });
});

describe('CloneWalkRecorder', () => {
  /** A repository whose walks cannot be computed (listRefs fails): each run reports an error. */
  const failing = (path: string, calls: string[]): ServedRepository =>
    ({
      path,
      exists: true,
      cloneWalks: { find: async () => undefined, save: async () => undefined },
      listRefs: async () => {
        calls.push(path);
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw new Error(`no refs for ${path}`);
      },
    }) as unknown as ServedRepository;

  it('runs one repository at a time, folds repeated schedules, and reports failures', async () => {
    const calls: string[] = [];
    const errors: string[] = [];
    const recorder = new CloneWalkRecorder(
      (error, path) => errors.push(`${path}: ${(error as Error).message}`),
      10,
    );
    recorder.schedule(failing('/a', calls));
    recorder.schedule(failing('/b', calls));
    recorder.schedule(failing('/b', calls));
    recorder.schedule(failing('/a', calls));
    // Nothing runs before the delay.
    expect(calls).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // /a is running: scheduling it again queues one more run after /b.
    recorder.schedule(failing('/a', calls));
    await recorder.idle();
    expect(calls).toEqual(['/a', '/b', '/a']);
    expect(errors).toEqual(['/a: no refs for /a', '/b: no refs for /b', '/a: no refs for /a']);
  });

  it('lets a clone wait for the recording of its repository, started at once', async () => {
    const calls: string[] = [];
    const recorder = new CloneWalkRecorder(() => undefined, 60_000);
    await recorder.recorded('/nothing-queued', 'k');
    recorder.schedule(failing('/a', calls));
    recorder.schedule(failing('/b', calls));
    // Nothing runs: the wanted repository is recorded first, without the delay.
    const waiting = recorder.recorded('/b', 'k');
    let done = false;
    void waiting.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(calls).toEqual(['/b']);
    // Another repository's recording is running: no waiting behind it.
    await recorder.recorded('/a', 'k');
    await waiting;
    expect(done).toBe(true);
    await recorder.idle();
    expect(calls).toEqual(['/b', '/a']);
  });

  it('runs what is queued when closed, then schedules nothing', async () => {
    const calls: string[] = [];
    const recorder = new CloneWalkRecorder(() => undefined, 60_000);
    recorder.schedule(failing('/queued', calls));
    await recorder.close();
    expect(calls).toEqual(['/queued']);
    recorder.schedule(failing('/late', calls));
    await recorder.idle();
    expect(calls).toEqual(['/queued']);
  });

  it('ignores repositories without recorded walks', async () => {
    const calls: string[] = [];
    const recorder = new CloneWalkRecorder(() => undefined, 0);
    recorder.schedule({
      path: '/view',
      listRefs: async () => {
        calls.push('/view');
        return { refs: [] };
      },
    } as unknown as ServedRepository);
    await recorder.close();
    expect(calls).toEqual([]);
  });
});
