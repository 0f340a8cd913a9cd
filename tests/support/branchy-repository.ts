import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { git, gitText } from './git-cli.js';

/** The submodule commit a gitlink of `makeBranchyRepository` names (not in the repository). */
export const GITLINK_TARGET = '1234567890abcdef1234567890abcdef12345678';

/**
 * A repository shaped to exercise object walks (generated at run time): a merged topic branch,
 * a side branch, a submodule entry (gitlink) with its `.gitmodules`, one tree and one blob at
 * two places each (the same ids at different depths), an executable and a symlink, files edited
 * over several commits (the pack has deltas, trees included), and refs of every kind: a
 * lightweight tag, an annotated tag, a tag of that tag, annotated tags of a tree and of a blob,
 * refs naming a tree and a blob directly, and a commit reachable only from `refs/custom/hidden`.
 * `spreadDates`: committer times jump back and forth (a child older than its parent) instead of
 * all being equal, so both date order and its tie-breaking are walked.
 */
export async function makeBranchyRepository(
  dir: string,
  options: { spreadDates?: boolean } = {},
): Promise<void> {
  await git(['init', '-q', '-b', 'main', dir]);
  let tick = 0;
  const dated = (): Record<string, string> =>
    options.spreadDates ? { GIT_COMMITTER_DATE: `${1_700_000_000 + ((tick++ * 37) % 11) * 600} +0000` } : {};
  const write = async (path: string, content: string) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  };
  const commit = async (message: string) => {
    await git(['add', '-A'], { cwd: dir });
    await git(['commit', '-q', '-m', message], { cwd: dir, env: dated() });
  };
  const lines = (seed: number, count: number) =>
    Array.from({ length: count }, (_, n) => `line ${n} of ${seed}: ${'word '.repeat((n * seed) % 9)}`).join(
      '\n',
    );

  for (let i = 0; i < 24; i++) await write(`src/mod${i % 3}/file${i}.txt`, `${lines(i, 60)}\n`);
  await write('docs/readme.md', '# readme\n');
  await write('copy/same.txt', 'the same tree twice\n');
  await write('deep/er/copy/same.txt', 'the same tree twice\n');
  await mkdir(join(dir, 'bin'));
  await writeFile(join(dir, 'bin/run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  await symlink('docs/readme.md', join(dir, 'link-to-readme'));
  await commit('base');
  for (let c = 1; c <= 4; c++) {
    for (const i of [c, c + 5, c + 11])
      await write(`src/mod${i % 3}/file${i}.txt`, `${lines(i + c * 100, 60)}\n`);
    await commit(`edit ${c}`);
  }
  await git(['checkout', '-q', '-b', 'topic'], { cwd: dir });
  for (let c = 1; c <= 2; c++) {
    await write(`src/mod1/topic${c}.txt`, `${lines(c + 50, 40)}\n`);
    await commit(`topic ${c}`);
  }
  await git(['checkout', '-q', 'main'], { cwd: dir });
  await write('src/mod2/file2.txt', `${lines(999, 60)}\n`);
  await commit('main while topic');
  await git(['merge', '-q', '--no-ff', '-m', 'merge topic', 'topic'], { cwd: dir, env: dated() });
  await write(
    '.gitmodules',
    '[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = https://example.com/lib.git\n',
  );
  // Staged by hand: `add -A` would drop the gitlink, whose directory does not exist.
  await git(['add', '.gitmodules'], { cwd: dir });
  await git(['update-index', '--add', '--cacheinfo', `160000,${GITLINK_TARGET},vendor/lib`], { cwd: dir });
  await git(['commit', '-q', '-m', 'add a submodule'], { cwd: dir, env: dated() });
  await git(['branch', 'side', 'HEAD~4'], { cwd: dir });
  await git(['checkout', '-q', 'side'], { cwd: dir });
  await write('side.txt', 'only on side\n');
  await commit('side');
  await git(['checkout', '-q', 'main'], { cwd: dir });

  await git(['tag', 'v0', 'HEAD~2'], { cwd: dir });
  await git(['tag', '-a', 'v1', '-m', 'release 1', 'HEAD~1'], { cwd: dir });
  await git(['-c', 'advice.nestedTag=false', 'tag', '-a', 'v1-outer', '-m', 'tag of a tag', 'v1'], {
    cwd: dir,
  });
  await git(['tag', '-a', 'tree-tag', '-m', 'a tree', 'HEAD^{tree}'], { cwd: dir });
  await git(['tag', '-a', 'blob-tag', '-m', 'a blob', 'HEAD:docs/readme.md'], { cwd: dir });
  await git(['update-ref', 'refs/trees/root', await gitText(['rev-parse', 'HEAD~3^{tree}'], { cwd: dir })], {
    cwd: dir,
  });
  await git(['update-ref', 'refs/blobs/side', await gitText(['rev-parse', 'side:side.txt'], { cwd: dir })], {
    cwd: dir,
  });
  const tree = await gitText(['rev-parse', 'HEAD^{tree}'], { cwd: dir });
  const hidden = await gitText(['commit-tree', tree, '-p', 'HEAD', '-m', 'hidden'], {
    cwd: dir,
    env: dated(),
  });
  await git(['update-ref', 'refs/custom/hidden', hidden], { cwd: dir });
}

/** The refs of a repository as `[name, target]`, in name order (the order storage lists them). */
export async function refTargets(dir: string): Promise<Array<[string, string]>> {
  const text = await gitText(['for-each-ref', '--format=%(refname) %(objectname)'], { cwd: dir });
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ') as [string, string])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
