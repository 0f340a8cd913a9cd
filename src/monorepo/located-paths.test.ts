import { describe, expect, it } from 'vitest';
import { parseObjectId } from '../git/object-id.js';
import type { LocatedPath } from './locate-path.js';
import { LocatedPaths } from './located-paths.js';

const TREE_A = parseObjectId('a'.repeat(40));
const TREE_B = parseObjectId('b'.repeat(40));

function counting(answer: LocatedPath) {
  let calls = 0;
  return {
    compute: async () => {
      calls += 1;
      return answer;
    },
    get calls() {
      return calls;
    },
  };
}

const bench: LocatedPath = {
  shape: 'repository',
  area: 'import',
  path: '/import/bench',
  repoPath: '/import/bench',
  linkPath: '/import/bench',
  subdir: [],
};

describe('LocatedPaths', () => {
  it('answers a path again from the same tree without locating it', async () => {
    const paths = new LocatedPaths();
    const locate = counting(bench);
    expect(await paths.locate(TREE_A, '/import/bench', locate.compute)).toBe(bench);
    expect(await paths.locate(TREE_A, '/import/bench', locate.compute)).toBe(bench);
    expect(locate.calls).toBe(1);
  });

  it('locates again once the head has another tree', async () => {
    const paths = new LocatedPaths();
    const locate = counting(bench);
    await paths.locate(TREE_A, '/import/bench', locate.compute);
    await paths.locate(TREE_B, '/import/bench', locate.compute);
    await paths.locate(TREE_A, '/import/bench', locate.compute);
    expect(locate.calls).toBe(3);
  });

  it('does not keep an answer computed for a tree the head has left meanwhile', async () => {
    const paths = new LocatedPaths();
    let finish: (value: LocatedPath) => void = () => undefined;
    const slow = paths.locate(TREE_A, '/import/bench', () => new Promise((resolve) => (finish = resolve)));
    const absent: LocatedPath = { shape: 'absent', area: 'import', path: '/import/bench' };
    await paths.locate(TREE_B, '/import/bench', async () => absent);
    finish(bench);
    expect(await slow).toBe(bench);
    const locate = counting(bench);
    expect(await paths.locate(TREE_B, '/import/bench', locate.compute)).toBe(absent);
    expect(locate.calls).toBe(0);
  });

  it('keeps no thrown answer', async () => {
    const paths = new LocatedPaths();
    await expect(
      paths.locate(TREE_A, '/import/file', async () => {
        throw new Error('not a repository or directory');
      }),
    ).rejects.toThrow('not a repository');
    const locate = counting(bench);
    await paths.locate(TREE_A, '/import/file', locate.compute);
    expect(locate.calls).toBe(1);
  });

  it('drops the oldest path past its limit (many URLs named by one client)', async () => {
    const paths = new LocatedPaths(2);
    const locate = counting(bench);
    for (const path of ['/import/a', '/import/b', '/import/c'])
      await paths.locate(TREE_A, path, locate.compute);
    await paths.locate(TREE_A, '/import/c', locate.compute);
    await paths.locate(TREE_A, '/import/b', locate.compute);
    expect(locate.calls).toBe(3);
    await paths.locate(TREE_A, '/import/a', locate.compute);
    expect(locate.calls).toBe(4);
  });
});
