import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from './git-cli.js';

/**
 * A history of many refs forking and merging, made with `git fast-import` (one process, so a
 * few hundred commits take well under a second), for the ref tip bitmaps of a first push:
 *
 * - `main`: 60 commits editing files under `d0..d4`, one in every 15 restoring an old version of
 *   a file (a tree seen before comes back); committer times jump back and forth (a child older
 *   than its parent), so no order by time is topological; a side line of three commits forks at
 *   `main` 20 and is merged back at 30 with no ref of its own;
 * - `b1..b16`: each forks from `main` at commit 3k (b9 from `b4`'s tip instead) with 2–4 commits
 *   of its own; every fourth merges `main` 3k+6, b12 merges `b11`, b16 merges the root `orphan`;
 * - `orphan`: an unrelated root; lightweight tags on every tenth `main` commit, annotated tags on
 *   b2 and b7 and a tag of the latter, annotated tags of a tree and of a blob.
 *
 * Returns the commit ids by name: `main:<n>` (1-based), `side:<n>`, `b<k>` (tips).
 */
export async function makeForkingHistory(dir: string): Promise<ReadonlyMap<string, string>> {
  await git(['init', '-q', '--bare', '-b', 'main', dir]);
  const lines: string[] = [];
  let mark = 0;
  const names = new Map<string, number>();
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}`;
  const commit = (
    name: string,
    ref: string,
    tick: number,
    changes: Array<[path: string, content: string]>,
    parents: readonly string[],
  ) => {
    names.set(name, ++mark);
    const time = 1_700_000_000 + ((tick * 37) % 23) * 600;
    lines.push(`commit ${ref}`, `mark :${mark}`, `committer T <t@example.com> ${time} +0000`, data(name));
    const [first, ...merged] = parents;
    if (first) lines.push(`from :${names.get(first)}`);
    for (const other of merged) lines.push(`merge :${names.get(other)}`);
    for (const [path, content] of changes) lines.push(`M 100644 inline ${path}`, data(content));
  };
  let tick = 0;
  for (let n = 1; n <= 60; n++) {
    const path = `d${n % 5}/sub${n % 3}/f${n % 7}.txt`;
    // Every fifteenth commit brings back the content (and so the trees) of fifteen commits before.
    const content = n % 15 === 0 && n > 15 ? `main ${n - 15}\n` : `main ${n}\n`;
    const parents = n === 1 ? [] : n === 30 ? ['main:29', 'side:3'] : [`main:${n - 1}`];
    commit(`main:${n}`, 'refs/heads/main', tick++, [[path, content]], parents);
    if (n === 20) {
      for (let s = 1; s <= 3; s++) {
        const parent = s === 1 ? 'main:20' : `side:${s - 1}`;
        commit(`side:${s}`, 'refs/heads/side-line', tick++, [[`side/f${s}.txt`, `side ${s}\n`]], [parent]);
      }
    }
  }
  commit('orphan', 'refs/heads/orphan', tick++, [['own.txt', 'orphan\n']], []);
  for (let k = 1; k <= 16; k++) {
    let tip = k === 9 ? 'b4' : `main:${3 * k}`;
    const own = 2 + (k % 3);
    for (let c = 1; c <= own; c++) {
      const name = c === own ? `b${k}` : `b${k}:${c}`;
      const parents = [tip];
      if (c === own && k % 4 === 0) parents.push(`main:${3 * k + 6}`);
      if (c === own && k === 12) parents.push('b11');
      if (c === own && k === 16) parents.push('orphan');
      commit(name, `refs/heads/b${k}`, tick++, [[`d${k % 5}/b${k}-${c}.txt`, `b${k} ${c}\n`]], parents);
      tip = name;
    }
  }
  for (let n = 10; n <= 60; n += 10) lines.push(`reset refs/tags/m${n}`, `from :${names.get(`main:${n}`)}`);
  // The side line was merged: it has no ref of its own.
  lines.push('reset refs/heads/side-line', `from 0000000000000000000000000000000000000000`, '');
  await git(['fast-import', '--quiet', '--export-marks=marks'], { cwd: dir, input: `${lines.join('\n')}\n` });
  const ids = new Map<string, string>();
  const marks = await readFile(join(dir, 'marks'), 'utf8');
  const byMark = new Map(
    marks
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string]),
  );
  for (const [name, number] of names) ids.set(name, byMark.get(`:${number}`) as string);
  const tag = (args: readonly string[]) => git(['tag', '-a', '-m', 'tag', ...args], { cwd: dir });
  await tag(['b2-release', ids.get('b2') as string]);
  await tag(['b7-release', ids.get('b7') as string]);
  await tag(['b7-release-again', 'b7-release']);
  await tag(['tree-tag', 'main^{tree}']);
  await tag(['blob-tag', 'main:d1/sub1/f1.txt']);
  return ids;
}
