import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { git, gitText } from './git-cli.js';

/** The named commits and tags of `makeVariedHistory`. */
export type VariedHistory = Readonly<Record<VariedName, string>>;

export type VariedName =
  'c1' | 'c2' | 'c3' | 'c4' | 'c5' | 'c6' | 'c7' | 'c8' | 't1' | 't2' | 'o1' | 'm1' | 'v1' | 'v2';

/**
 * A small history with the shapes an incremental fetch must get right (issue 20's sparse walk):
 *
 * - `c1` root: `top.txt`, `src/lib/{x,y}.txt`, `src/app/main.txt`, `docs/readme.txt`,
 *   `vendor/pkg1..4/f1..3.txt`; `c2` edits `src/lib/x.txt`;
 * - branch `topic` from `c2`: `t1` edits `top.txt` and adds `topic/new.txt`, `t2` moves
 *   `vendor/pkg1` to `third_party/pkg1` unchanged;
 * - `main`: `c3` renames `docs/readme.txt` to `docs/README.md` (annotated tag `v1`), `c4` reverts
 *   `x.txt` to `c1`'s content, `c5` merges `topic`, `c6` moves `src` to `pkg/src`, `c7` edits
 *   `pkg/src/app/main.txt`, adds `new/deep/dir/file.txt` and deletes `top.txt` (annotated tag
 *   `v2`, lightweight tag `light` on `c6`), `c8` makes `docs` a file, copies `y.txt`'s
 *   content into `x.txt` (same directory) and `vendor/pkg3/f1.txt`'s into `new/copy.txt`;
 * - branch `orphan`: root `o1` holding `vendor/pkg2` (the same tree as `main`'s) and `own.txt`;
 *   branch `joined`: `m1` merges `c4` into `o1` (unrelated histories).
 *
 * Committer dates grow by 100 s a commit, so date-ordered walks see a real order.
 */
export async function makeVariedHistory(dir: string): Promise<VariedHistory> {
  await git(['init', '-q', '-b', 'main', dir]);
  let time = 1_700_000_000;
  const run = (args: readonly string[]) => {
    time += 100;
    const date = `${time} +0000`;
    return git(args, { cwd: dir, env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
  };
  const write = async (files: Readonly<Record<string, string | null>>) => {
    for (const [path, content] of Object.entries(files)) {
      const full = join(dir, path);
      if (content === null) {
        await rm(full, { recursive: true, force: true });
        continue;
      }
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  };
  const commit = async (message: string, files: Readonly<Record<string, string | null>> = {}) => {
    await write(files);
    await git(['add', '-A'], { cwd: dir });
    await run(['commit', '-q', '--allow-empty', '-m', message]);
    return gitText(['rev-parse', 'HEAD'], { cwd: dir });
  };
  const lines = (label: string, count: number) =>
    Array.from({ length: count }, (_, n) => `${label} line ${n}`).join('\n') + '\n';

  const vendor: Record<string, string> = {};
  for (let pkg = 1; pkg <= 4; pkg++)
    for (let file = 1; file <= 3; file++)
      vendor[`vendor/pkg${pkg}/f${file}.txt`] = lines(`pkg${pkg} f${file}`, 5);
  const c1 = await commit('c1', {
    'top.txt': 'top\n',
    'src/lib/x.txt': lines('x', 30),
    'src/lib/y.txt': lines('y', 30),
    'src/app/main.txt': lines('main', 10),
    'docs/readme.txt': 'read me\n',
    ...vendor,
  });
  const c2 = await commit('c2', { 'src/lib/x.txt': `${lines('x', 30)}x edited\n` });
  await git(['checkout', '-q', '-b', 'topic'], { cwd: dir });
  const t1 = await commit('t1', { 'top.txt': 'top on topic\n', 'topic/new.txt': 'new on topic\n' });
  await mkdir(join(dir, 'third_party'), { recursive: true });
  await git(['mv', 'vendor/pkg1', 'third_party/pkg1'], { cwd: dir });
  const t2 = await commit('t2');
  await git(['checkout', '-q', 'main'], { cwd: dir });
  await git(['mv', 'docs/readme.txt', 'docs/README.md'], { cwd: dir });
  const c3 = await commit('c3');
  await run(['tag', '-a', 'v1', '-m', 'v1', c3]);
  const c4 = await commit('c4', { 'src/lib/x.txt': lines('x', 30) });
  await run(['merge', '-q', '--no-ff', '-m', 'c5', 'topic']);
  const c5 = await gitText(['rev-parse', 'HEAD'], { cwd: dir });
  await mkdir(join(dir, 'pkg'), { recursive: true });
  await git(['mv', 'src', 'pkg/src'], { cwd: dir });
  const c6 = await commit('c6');
  await run(['tag', 'light', c6]);
  const c7 = await commit('c7', {
    'pkg/src/app/main.txt': `${lines('main', 10)}main edited\n`,
    'new/deep/dir/file.txt': 'deep\n',
    'top.txt': null,
  });
  await run(['tag', '-a', 'v2', '-m', 'v2', c7]);
  await write({ docs: null });
  const c8 = await commit('c8', {
    docs: 'docs is a file now\n',
    'pkg/src/lib/x.txt': lines('y', 30),
    'new/copy.txt': vendor['vendor/pkg3/f1.txt'] ?? '',
  });
  await git(['checkout', '-q', '--orphan', 'orphan'], { cwd: dir });
  await git(['rm', '-rqf', '.'], { cwd: dir });
  const o1 = await commit('o1', { ...pick(vendor, 'vendor/pkg2/'), 'own.txt': 'own\n' });
  await git(['checkout', '-q', '-b', 'joined'], { cwd: dir });
  await run(['merge', '-q', '--allow-unrelated-histories', '-m', 'm1', c4]);
  const m1 = await gitText(['rev-parse', 'HEAD'], { cwd: dir });
  await git(['checkout', '-q', 'main'], { cwd: dir });
  const tag = (name: string) => gitText(['rev-parse', `refs/tags/${name}`], { cwd: dir });
  return { c1, c2, c3, c4, c5, c6, c7, c8, t1, t2, o1, m1, v1: await tag('v1'), v2: await tag('v2') };
}

function pick(files: Readonly<Record<string, string>>, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(files).filter(([path]) => path.startsWith(prefix)));
}
